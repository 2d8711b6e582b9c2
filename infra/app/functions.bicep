// The function app on a Flex Consumption plan (FC1), on the Python of /azure-python-version, running as the
// user-assigned identity.
// App settings are exactly what the code and its SDKs read (tests/infra/test_templates.py checks that):
// every connection is identity-based and no setting holds a key.

@description('Function app name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the plan and the app (the app also gets azd-service-name).')
param tags object = {}

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Storage account of the host and the exchange data.')
param storageAccountName string

@description('Blob endpoint of the evidence account (evidence.bicep), where the daily journal seals go.')
param evidenceBlobEndpoint string

@description('Container in that account the Flex plan deploys the package from.')
param deploymentContainerName string

@description('Event Hubs namespace host name, e.g. <name>.servicebus.windows.net.')
param eventHubsNamespace string

@description('Application Insights component (local auth off).')
param applicationInsightsName string

@description('Memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on instances; Event Hubs partitions bound the real-time path anyway.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('IANA zone that turns enqueued times into business dates (BUSINESS_TIMEZONE).')
param businessTimezone string = 'America/Chicago'

@description('Table partitions contract records are spread over (CONTRACT_PARTITIONS, 1-100).')
@minValue(1)
@maxValue(100)
param contractPartitions int = 4

@description('Table partitions each business date of the journal is spread over (JOURNAL_SHARDS, 1-32).')
@minValue(1)
@maxValue(32)
param journalShards int = 4

@description('Hours a cancellation waits for its contract (CANCELLATION_HOLD_HOURS).')
@minValue(1)
@maxValue(720)
param cancellationHoldHours int = 72

@description('Partner configuration, relative to the app root (PARTNER_CONFIG_FILE).')
param partnerConfigFile string = 'config/partners.json'

@description('State cancellation rules, relative to the app root (STATE_RULES). The shipped file is an example, not legal advice: deploy your own.')
param stateRulesFile string = 'config/state_rules.json'

@description('NCRONTAB in UTC for daily feeds (PARTNER_NIGHTLY_SCHEDULE): 08:00 UTC is 02:00/03:00 in Chicago.')
param partnerNightlySchedule string = '0 0 8 * * *'

@description('NCRONTAB for micro-batch feeds (PARTNER_MICRO_SCHEDULE): every minute, so that a PT5M feed meets its SLA.')
param partnerMicroSchedule string = '0 * * * * *'

@description('NCRONTAB in UTC for the nightly reconciliation (RECONCILE_SCHEDULE): after the nightly files.')
param reconcileSchedule string = '0 30 9 * * *'

@description('Seconds another instance\'s clock may run behind: files cover facts up to the oldest writer in flight, less this (DELIVERY_CLOCK_SKEW_SECONDS).')
@minValue(0)
@maxValue(300)
param deliveryClockSkewSeconds int = 5

@description('Days after the coverage of a contract ends before `fnix purge` may delete it (RETENTION_DAYS_AFTER_COVERAGE).')
@minValue(30)
@maxValue(36500)
param retentionDaysAfterCoverage int = 730

@description('Always-ready instances for each of the two dealer-facing functions (contract_submissions, cancellation_requests): no cold start against the 60-second lag SLA. 0 turns them off.')
@minValue(0)
@maxValue(20)
param alwaysReadyInstances int = 1

@description('Application (client) id of the API\'s own Entra ID app registration: the audience of the callers\' tokens (README "Deploy", "The API\'s Entra ID registration").')
param apiClientId string

@description('Application ID URI of that registration (v1 tokens carry it as their audience); empty: api://<apiClientId>.')
param apiApplicationIdUri string = ''

@description('Tenant whose Entra ID issues the callers\' tokens.')
param apiTenantId string = tenant().tenantId

// The API's caller map, deployed in the package and loaded by the app when API_CALLERS is unset (as here;
// function_app/config.py): its client ids are the applications App Service authentication lets through (authSettings
// below), so the two cannot drift apart.
var apiCallers = loadJsonContent('../../config/api_callers.json')
var apiCallerClientIds = [for caller in items(apiCallers): caller.key]
// The Python Azure runs the app on: the same file ./dev and the worker tier (tests/worker) read.
var pythonVersion = trim(loadTextContent('../../azure-python-version'))
// `@function_name`s of function_app/entrypoints/realtime.py (tests/infra checks them against the code).
var alwaysReadyFunctions = [
  'contract_submissions'
  'cancellation_requests'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225:Zone-redundant Flex plans exist only in some regions and keep at least two always-ready (billed) instances per function group; the hubs and queues hold the work while an instance restarts. Turn on with zoneRedundant where the region offers it.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222:The dealer and lender API (spec/API.md) is called by partner systems over the internet; App Service authentication (authSettings below) lets through only Entra ID tokens of the caller map's applications, and the scm endpoint takes Entra-authenticated deployments only (basic publishing credentials are off).
  //checkov:skip=CKV_AZURE_17:Callers authenticate with Entra ID access tokens checked by App Service authentication (authSettings below), not client certificates; the scm endpoint takes Entra-authenticated deployments only.
  //checkov:skip=CKV_AZURE_212:The check reads an App Service worker count; on Flex Consumption the minimum is alwaysReady per function (1 each for the two dealer-facing functions), the rest scales from zero behind Event Hubs and queues.
  //checkov:skip=CKV_AZURE_213:A health path would have to be open to unauthenticated probes while every path requires an Entra ID token (authSettings below); Flex Consumption replaces unhealthy instances itself and alerts.bicep watches lag and missing files.
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host storage and the app's own clients (function_app/config.py): identity-based, one URI per service.
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storage.properties.primaryEndpoints.blob
        }
        // The journal seals' own account (immutable, create-only for the app): function_app/config.py
        {
          name: 'EVIDENCE_BLOB_SERVICE_URI'
          value: evidenceBlobEndpoint
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storage.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storage.properties.primaryEndpoints.table
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // Event Hubs triggers and the feedback sender (azure-eventhub in function_app/adapters/realtime/), one connection.
        {
          name: 'EventHubConnection__fullyQualifiedNamespace'
          value: eventHubsNamespace
        }
        {
          name: 'EventHubConnection__credential'
          value: 'managedidentity'
        }
        {
          name: 'EventHubConnection__clientId'
          value: identityClientId
        }
        // DefaultAzureCredential in function_app/bootstrap.py picks the user-assigned identity by this.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        // Telemetry: the component's own connection property, and Entra ID auth since local auth is off.
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD;ClientId=${identityClientId}'
        }
        // The Python worker configures the Azure Monitor distro and exports the app's logs and spans itself; the host
        // then forwards none of them (each log once) and hands each invocation its trace context (telemetry.py).
        {
          name: 'PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY'
          value: 'true'
        }
        // The exchange (README "Configuration").
        {
          name: 'BUSINESS_TIMEZONE'
          value: businessTimezone
        }
        {
          name: 'CONTRACT_PARTITIONS'
          value: string(contractPartitions)
        }
        {
          name: 'JOURNAL_SHARDS'
          value: string(journalShards)
        }
        {
          name: 'CANCELLATION_HOLD_HOURS'
          value: string(cancellationHoldHours)
        }
        {
          name: 'PARTNER_CONFIG_FILE'
          value: partnerConfigFile
        }
        {
          name: 'STATE_RULES'
          value: stateRulesFile
        }
        {
          name: 'PARTNER_NIGHTLY_SCHEDULE'
          value: partnerNightlySchedule
        }
        {
          name: 'PARTNER_MICRO_SCHEDULE'
          value: partnerMicroSchedule
        }
        {
          name: 'DELIVERY_CLOCK_SKEW_SECONDS'
          value: string(deliveryClockSkewSeconds)
        }
        {
          name: 'RETENTION_DAYS_AFTER_COVERAGE'
          value: string(retentionDaysAfterCoverage)
        }
        {
          name: 'RECONCILE_SCHEDULE'
          value: reconcileSchedule
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: [for function in alwaysReadyFunctions: {
          name: 'function:${function}'
          instanceCount: alwaysReadyInstances
        }]
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// No publishing passwords: azd and CI deploy with Entra ID tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName

// App Service authentication ("Easy Auth", authsettingsV2) in front of the HTTP functions: every request carries an
// Entra ID access token for the API's own registration, issued to one of the caller map's client applications, or it
// never reaches the app. Callers are applications (client credentials), so an unauthenticated request gets 401, never
// a redirect to a sign-in page; a valid token of an application outside `apiCallerClientIds` gets 403. Nothing is
// excluded: /api/openapi.json needs a token too (spec/API.md "Every request is authenticated"; a caller that may ask
// holds one anyway). The token store is off: the app never calls anything on a caller's behalf. The HTTP functions
// run at auth level ANONYMOUS (no function keys) because this sits in front of them.
// Property names and values: Microsoft.Web sites/config 'authsettingsV2' (learn.microsoft.com/azure/templates/
// microsoft.web/sites/config-authsettingsv2) and "Configure Microsoft Entra authentication", section "Use a built-in
// authorization policy" (learn.microsoft.com/azure/app-service/configure-authentication-provider-aad):
// globalValidation.unauthenticatedClientAction one of RedirectToLoginPage, AllowAnonymous, Return401, Return403;
// validation.defaultAuthorizationPolicy.allowedApplications checks the token's `appid` (v1) / `azp` (v2) claim;
// validation.allowedAudiences its `aud`.
var apiAudiences = [
  apiClientId
  empty(apiApplicationIdUri) ? 'api://${apiClientId}' : apiApplicationIdUri
]

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  //checkov:skip=CKV_AZURE_13:The check reads the retired v1 `authsettings` shape (properties.enabled); this is authsettingsV2, whose platform.enabled is true (CKV_AZURE_56 passes on it, tests/infra/test_templates.py holds every property).
  //checkov:skip=CKV_AZURE_222:checkov applies the site's `web` config checks to every Microsoft.Web/sites/config; this is the authentication config, and the site itself carries this skip with its reason (the API is called from the internet, through this authentication).
  //checkov:skip=CKV_AZURE_63:A `web` config check (httpLoggingEnabled) applied to the authentication config; on Flex Consumption requests are traced to Application Insights by the host, not to web server log files.
  //checkov:skip=CKV_AZURE_65:A `web` config check (detailedErrorLoggingEnabled, an IIS feature) applied to the authentication config; the app runs on Linux, and errors are problem+json bodies and Application Insights exceptions.
  //checkov:skip=CKV_AZURE_66:A `web` config check (requestTracingEnabled, IIS failed request tracing) applied to the authentication config; the app runs on Linux and traces requests to Application Insights.
  //checkov:skip=CKV_AZURE_80:A `web` config check (netFrameworkVersion) applied to the authentication config; the app is Python (functionAppConfig.runtime).
  //checkov:skip=CKV_AZURE_88:A `web` config check (Azure Files mounts) applied to the authentication config; Flex Consumption runs the package from the deployment blob container and the app mounts no share.
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: []
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: 'https://login.microsoftonline.com/${apiTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: apiAudiences
          defaultAuthorizationPolicy: {
            allowedApplications: apiCallerClientIds
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}
