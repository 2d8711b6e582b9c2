// The Event Grid subscription that hands claims uploads to the function `claims_file_uploaded`. Not part of
// main.bicep: Event Grid refuses a subscription to a function the host has not indexed yet, and `azd up` provisions
// before it deploys the code. The azd `postdeploy` hook (infra/hooks/postdeploy.sh, .ps1) waits for the function,
// then deploys this template into the resource group: a PUT of the same subscription, so every re-run is a no-op.
// No key anywhere: Event Grid calls the function through its AzureFunction destination (by resource id), and writes
// undeliverable events with the system topic's own identity, whose role eventgrid.bicep assigned at provision.

@description('The storage account\'s Event Grid system topic (eventgrid.bicep, output EVENTGRID_SYSTEM_TOPIC_NAME).')
param systemTopicName string

@description('Storage account whose blob events are published, and which holds the dead-letter container.')
param storageAccountName string

@description('Container in that account undeliverable events are written to.')
param deadLetterContainerName string

@description('Function app hosting the claims function.')
param functionAppName string

@description('The `@blueprint.function_name` of function_app/entrypoints/claims.py (tests/infra checks the code, this and the hook agree).')
param functionName string = 'claims_file_uploaded'

@description('Delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

// function_app/adapters/claims/azure.py INBOUND, as it shows in a subject:
// /blobServices/default/containers/partner-<id>/blobs/inbound/claims/<file>
var claimsSubjectPart = '/blobs/inbound/claims/'
var partnerSubjectPrefix = '/blobServices/default/containers/partner-'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource claimsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
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
}

output subscriptionName string = claimsSubscription.name
