// Role assignments for the app's managed identity, each scoped as narrowly as the data it touches:
// Storage (host and exchange data) on the account, read and create only on the evidence account, Event Hubs per hub,
// telemetry on the one component.

@description('Principal (object) id of the function app\'s user-assigned identity.')
param principalId string

@description('Storage account holding the host state and the exchange\'s tables, queues and containers.')
param storageAccountName string

@description('Account of the daily journal seals (evidence.bicep).')
param evidenceAccountName string

@description('Resource id of the custom role that reads and creates blobs, never overwrites or deletes (evidence.bicep).')
param sealWriterRoleId string

@description('Event Hubs namespace name.')
param eventHubNamespaceName string

@description('Hubs the app reads (Data Receiver on each).')
param inputHubNames array

@description('Hub the app sends feedback to with azure-eventhub (Data Sender).')
param feedbackHubName string

@description('Application Insights component the app publishes telemetry to.')
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var eventHubsDataReceiver = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
var eventHubsDataSender = '2b629674-e913-4c01-ae53-ef4638d8f975'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource evidence 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: evidenceAccountName
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubNamespaceName
}

resource inputHubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = [for hub in inputHubNames: {
  parent: namespace
  name: hub
}]

resource feedbackHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = {
  parent: namespace
  name: feedbackHubName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The host keeps leases, Event Hubs checkpoints, timer schedules and keys in blobs and pulls the Flex package;
// the app writes dead letters and partner files and requests user-delegation keys for partner SAS links.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The nightly reconciliation seals yesterday's journal: read and create only, so a seal, once written, stays as it is
// even to the app (the container's immutability policy holds it against everyone else).
resource sealWriterOnEvidence 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidence.id, principalId, 'seal-writer')
  scope: evidence
  properties: {
    roleDefinitionId: sealWriterRoleId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Timers enqueue delivery jobs, the queue trigger reads them and moves a failing one to the poison queue.
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Contract records, the inbox, the journal and delivery state (the app creates a missing table on start).
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource receiverOnInputs 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (hub, i) in inputHubNames: {
  name: guid(inputHubs[i].id, principalId, eventHubsDataReceiver)
  scope: inputHubs[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataReceiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource senderOnFeedback 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(feedbackHub.id, principalId, eventHubsDataSender)
  scope: feedbackHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights has local auth off: ingestion needs this role (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
