// Inbound claims: the storage account's Event Grid system topic tells the function `claims_file_uploaded` of every
// blob created under `inbound/claims/` of a partner container (a blob trigger cannot watch a family of containers,
// and Flex Consumption offers only Event Grid-based blob triggers). No key anywhere: Event Grid calls the function
// through its AzureFunction destination (by resource id), and it writes undeliverable events to the container
// `eventgrid-deadletter` with the system topic's own managed identity, which holds Storage Blob Data Contributor on
// that one container.

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

@description('Function app hosting the claims function.')
param functionAppName string

@description('Create the event subscription. Event Grid refuses a subscription to a function that does not exist yet, and `azd up` provisions before it deploys the code: the first provision runs without it (see infra/README.md).')
param subscribe bool = true

@description('Delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

// The `@blueprint.function_name` of function_app/entrypoints/claims.py (tests/infra checks the two agree).
var functionName = 'claims_file_uploaded'
// function_app/adapters/claims_storage.py INBOUND, as it shows in a subject:
// /blobServices/default/containers/partner-<id>/blobs/inbound/claims/<file>
var claimsSubjectPart = '/blobs/inbound/claims/'
var partnerSubjectPrefix = '/blobServices/default/containers/partner-'
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

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
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

resource claimsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribe) {
  parent: systemTopic
  name: 'claims-file-uploaded'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: partnerSubjectPrefix
      advancedFilters: [
        {
          operatorType: 'StringContains'
          key: 'subject'
          values: [
            claimsSubjectPart
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
  // Dead-lettering works from the first event: the identity holds its role before the subscription exists.
  dependsOn: [
    deadLetterWriter
  ]
}

output systemTopicName string = systemTopic.name
output principalId string = systemTopic.identity.principalId
