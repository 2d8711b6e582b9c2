// The evidence account: each business date's journal seal, `journal-seals/<date>.json.gz` in container `evidence`
// (function_app/adapters/kernel/seal_blobs.py), under a version-level immutability policy: every version a seal ever
// had stays, unchangeable and undeletable by anyone, for `retentionDays` after it was written. An account of its own
// because version-level immutability needs blob versioning, and neither is available on an account with a
// hierarchical namespace (which the main account needs for SFTP).

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Days each seal version stays immutable after it is written (default 2555: seven years, the longest record-keeping period the exchange\'s partners ask of it). The policy is deployed unlocked; locking it (see infra/README.md) makes it irreversible and only extendable.')
@minValue(1)
@maxValue(146000)
param retentionDays int = 2555

var evidenceContainerName = 'evidence'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_35:The Flex app has no VNet integration and reaches the account over its public endpoint; every caller still needs Entra ID (shared keys are off), and the app's identity may only read and create.
  //checkov:skip=CKV_AZURE_59:Public endpoint on purpose, for the same reason as CKV_AZURE_35; anonymous blob access is off (allowBlobPublicAccess: false).
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  // Geo-zone-redundant like the journal it vouches for.
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
    isHnsEnabled: false
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
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: 14
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource evidenceContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: evidenceContainerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

// The container's default time-based retention: each new blob version inherits it.
resource retention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: evidenceContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

// The app reads seals and creates new ones; it can neither overwrite (`blobs/write`) nor delete one. No built-in
// role is that narrow (Storage Blob Data Contributor deletes), hence this one, assignable in this resource group only.
resource sealWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, account.id, 'seal-writer')
  properties: {
    roleName: 'FNI seal writer (${name})'
    description: 'Reads blobs and creates new ones in the evidence account; no overwrite, no delete.'
    type: 'customRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerName string = evidenceContainer.name
output sealWriterRoleId string = sealWriter.id
