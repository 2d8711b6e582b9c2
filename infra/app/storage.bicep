// One StorageV2 account for the host (leases, checkpoints, the Flex deployment package) and the exchange's data:
// tables `contracts`, `journal`, `deliveries`, `reconbreaks`, `claims`, `claimfiles`, `inflight`; queues `delivery-jobs`, `claims-files`
// (+ `-poison`); containers `deadletter`, `reports`, `eventgrid-deadletter` (undeliverable Event Grid events) and one
// `partner-<id>` per partner, each reachable by SFTP through a local user whose home is that container.
// Shared keys are off: the app uses its managed identity, partners use SFTP keys or user-delegation SAS links.

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Partner ids of config/partners.json: one container `partner-<id>` and one SFTP local user each.')
param partnerIds array

@description('SSH public keys per partner id, e.g. {"adm-01": [{"description": "adm-01 2025", "key": "ssh-ed25519 AAAA..."}]}. Public keys only; a partner without keys cannot log in. Keys are managed here: a redeploy replaces keys added elsewhere.')
param partnerSshKeys object = {}

@description('Container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

@description('Days a deleted blob or container can be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 14

@description('Days after its last change a dead letter is deleted (lifecycle rule on `deadletter`): time to look at and replay it.')
@minValue(1)
@maxValue(3650)
param deadLetterRetentionDays int = 90

@description('Days after its last change a delivered partner file is deleted (lifecycle rule on `partner-*/outbound/`): partners fetch theirs within days; reconcile a date within this.')
@minValue(1)
@maxValue(3650)
param partnerFileRetentionDays int = 400

@description('Days after its last change a reconciliation report is deleted (lifecycle rule on `reports`).')
@minValue(1)
@maxValue(3650)
param reportRetentionDays int = 400

var deadLetterContainerName = 'deadletter'
var reportsContainerName = 'reports'
// Written by the Event Grid system topic's identity (eventgrid.bicep), not by the app.
var eventGridDeadLetterContainerName = 'eventgrid-deadletter'
var tableNames = [
  'contracts'
  'journal'
  'deliveries'
  'reconbreaks'
  'claims'
  'claimfiles'
  'inflight'
]
var queueNames = [
  'delivery-jobs'
  'delivery-jobs-poison'
  'claims-files'
  'claims-files-poison'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_35:Partners reach their containers over SFTP and SAS from their own networks and the Flex app has no VNet integration; every caller still needs Entra ID, a user-delegation SAS or an SFTP key (shared keys are off).
  //checkov:skip=CKV_AZURE_59:Public endpoint on purpose, for the same reason as CKV_AZURE_35; anonymous blob access is off (allowBlobPublicAccess: false).
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  // Geo-zone-redundant: the journal and partner files must survive a zone and a region outage.
  sku: {
    name: 'Standard_GZRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    isHnsEnabled: true
    isSftpEnabled: true
    isLocalUserEnabled: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource reportsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: reportsContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource eventGridDeadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: eventGridDeadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource partnerContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for id in partnerIds: {
  parent: blobService
  name: 'partner-${id}'
  properties: {
    publicAccess: 'None'
  }
}]

// Local user names allow lowercase letters and digits only: `oem-toyota` logs in as `oemtoyota`.
// Permission scopes are per container, never per directory: read + create + list on the partner's own container
// lets it read and list everything there (outbound files, manifests, layout.json, claims results) and upload files
// that do not exist yet anywhere in it (acks into inbound/ack/, claims into inbound/claims/); it can neither
// overwrite nor delete, nor reach another container. ACL authorization could confine uploads to the two inbound/
// directories only through owning user/group (set by a local user over SFTP) or "other" (which would admit any
// Entra identity of the tenant without a data role), so it stays off; corrected acks go through the ack link.
resource sftpUsers 'Microsoft.Storage/storageAccounts/localUsers@2023-05-01' = [for (id, i) in partnerIds: {
  parent: account
  name: replace(id, '-', '')
  properties: {
    homeDirectory: 'partner-${id}'
    permissionScopes: [
      {
        service: 'blob'
        resourceName: 'partner-${id}'
        permissions: 'rcl'
      }
    ]
    hasSharedKey: false
    hasSshPassword: false
    hasSshKey: true
    sshAuthorizedKeys: contains(partnerSshKeys, id) ? partnerSshKeys[id] : []
  }
  dependsOn: [
    partnerContainers[i]
  ]
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

// Disposal of personal data nobody needs any more (GLBA Safeguards Rule). Nothing here touches the evidence
// container: its seals are kept by their own immutability policy. Contracts, the journal and claims are purged by
// `fnix purge` (docs/runbook.md): their age is their coverage, which no blob date tells.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'dead-letters'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${deadLetterContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: deadLetterRetentionDays
                }
              }
            }
          }
        }
        {
          name: 'partner-files'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [for id in partnerIds: 'partner-${id}/outbound/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: partnerFileRetentionDays
                }
              }
            }
          }
        }
        {
          name: 'reports'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${reportsContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: reportRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    deadLetterContainer
    reportsContainer
    partnerContainers
  ]
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queueNames: {
  parent: queueService
  name: queue
}]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainer.name
output deadLetterContainerName string = deadLetterContainer.name
output eventGridDeadLetterContainerName string = eventGridDeadLetterContainer.name
