// Inbound claims: the storage account's Event Grid system topic, which tells the function `claims_file_uploaded` of
// every blob created under `inbound/claims/` of a partner container (a blob trigger cannot watch a family of
// containers, and Flex Consumption offers only Event Grid-based blob triggers). The subscription itself is
// claims-subscription.bicep, deployed by the azd postdeploy hook once the function exists. Undeliverable events go to
// the container `eventgrid-deadletter`, written with the system topic's own managed identity, which holds Storage
// Blob Data Contributor on that one container from the provision on: before the subscription exists.

@description('Name of the Event Grid system topic of the storage account.')
param name string

@description('Azure region: the storage account\'s (a system topic lives where its source does).')
param location string

@description('Tags for the system topic.')
param tags object = {}

@description('Storage account whose blob events are published, and which holds the dead-letter container.')
param storageAccountName string

@description('Container in that account undeliverable events are written to.')
param deadLetterContainerName string

// Built-in role definition id (the same in every tenant).
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// The topic's identity writes dead letters: blob data on the dead-letter container only, nothing else of the account.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, systemTopic.id, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output systemTopicName string = systemTopic.name
output principalId string = systemTopic.identity.principalId
