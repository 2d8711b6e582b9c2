// The F&I partner exchange in Azure: `azd up` creates a resource group and deploys the app into it.
// Managed identity everywhere: no resource here accepts a key, and no setting holds one.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the unique suffix of resource names.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (Flex Consumption must be offered there).')
param location string

@description('Resource group name; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Partner ids of config/partners.json (tests/infra keeps the two in step): one container and one SFTP user each.')
param partnerIds array = [
  'oem-toyota'
  'oem-honda'
  'adm-01'
  'adm-02'
  'lender-fpcu'
]

@description('Daily (P1D) feeds of config/partners.json as <partner>/<feed>: the missing-nightly-file alert expects each.')
param nightlyFeeds array = [
  'oem-toyota/nightly-contracts'
  'oem-honda/nightly-contracts'
  'adm-01/nightly-contracts'
  'lender-fpcu/nightly-cancellations'
]

@description('SSH public keys per partner id for SFTP (public keys only); see infra/README.md.')
param partnerSshKeys object = {}

@description('Email address alerts go to; empty: alerts show in the portal only.')
param alertEmail string = ''

@description('End-to-end lag SLA in seconds for the lag alert.')
@minValue(1)
param lagSlaSeconds int = 60

@description('Always-ready instances for each of contract_submissions and cancellation_requests (Flex Consumption alwaysReady); 0 turns them off.')
@minValue(0)
@maxValue(20)
param alwaysReadyInstances int = 1

@description('Days each daily journal seal stays immutable in the evidence account (app/evidence.bicep); default seven years.')
@minValue(1)
@maxValue(146000)
param evidenceRetentionDays int = 2555

@description('Days after its last change a dead letter is deleted by the storage lifecycle policy.')
@minValue(1)
@maxValue(3650)
param deadLetterRetentionDays int = 90

@description('Days after its last change a delivered partner file (partner-*/outbound/) is deleted by the lifecycle policy.')
@minValue(1)
@maxValue(3650)
param partnerFileRetentionDays int = 400

@description('Days after its last change a reconciliation report is deleted by the lifecycle policy.')
@minValue(1)
@maxValue(3650)
param reportRetentionDays int = 400

@description('Days after the coverage of a contract ends before `fnix purge` may delete it with its journal dates and claims.')
@minValue(30)
@maxValue(36500)
param retentionDaysAfterCoverage int = 730

@description('Application (client) id of the API\'s Entra ID app registration (README "Deploy"): App Service authentication accepts tokens for it only.')
param apiClientId string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'fni-exchange'
}
var functionAppName = 'func-fni-${resourceToken}'
var deploymentContainerName = 'app-package'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-fni-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-fni-${resourceToken}'
    applicationInsightsName: 'appi-fni-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stfni${resourceToken}'
    location: location
    tags: tags
    partnerIds: partnerIds
    partnerSshKeys: partnerSshKeys
    deploymentContainerName: deploymentContainerName
    deadLetterRetentionDays: deadLetterRetentionDays
    partnerFileRetentionDays: partnerFileRetentionDays
    reportRetentionDays: reportRetentionDays
  }
}

module evidence 'app/evidence.bicep' = {
  name: 'evidence'
  scope: rg
  params: {
    name: 'stevi${resourceToken}'
    location: location
    tags: tags
    retentionDays: evidenceRetentionDays
  }
}

module eventHubs 'app/eventhubs.bicep' = {
  name: 'eventhubs'
  scope: rg
  params: {
    name: 'evhns-fni-${resourceToken}'
    location: location
    tags: tags
  }
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    evidenceAccountName: evidence.outputs.name
    sealWriterRoleId: evidence.outputs.sealWriterRoleId
    eventHubNamespaceName: eventHubs.outputs.name
    inputHubNames: eventHubs.outputs.inputHubNames
    feedbackHubName: eventHubs.outputs.feedbackHubName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functions 'app/functions.bicep' = {
  name: 'functions'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-fni-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    evidenceBlobEndpoint: evidence.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    eventHubsNamespace: eventHubs.outputs.fullyQualifiedNamespace
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    alwaysReadyInstances: alwaysReadyInstances
    retentionDaysAfterCoverage: retentionDaysAfterCoverage
    apiClientId: apiClientId
  }
  // The host starts as soon as the app exists: its identity must already hold its roles.
  dependsOn: [
    roles
  ]
}

// The storage account's system topic and its dead-letter role; the subscription to the claims function is created
// after the code is deployed, by the azd postdeploy hook (infra/hooks/, infra/app/claims-subscription.bicep).
module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: 'evgt-fni-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deadLetterContainerName: storage.outputs.eventGridDeadLetterContainerName
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    location: location
    tags: tags
    namePrefix: 'fni-${resourceToken}'
    alertEmail: alertEmail
    lagSlaSeconds: lagSlaSeconds
    nightlyFeeds: nightlyFeeds
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = functions.outputs.name
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output EVENTHUBS_NAMESPACE string = eventHubs.outputs.fullyQualifiedNamespace
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
// Read by the postdeploy hook (infra/hooks/), which subscribes the claims function once it is deployed.
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.systemTopicName
output EVENTGRID_DEADLETTER_CONTAINER_NAME string = storage.outputs.eventGridDeadLetterContainerName
