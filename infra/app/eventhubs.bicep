// The Event Hubs namespace: three input hubs the exchange reads with its own consumer group `exchange`, and
// `dealer-feedback`, which it writes. Local (SAS) auth is off: only Entra ID principals with data roles connect.
// Partition counts mirror infra/local/Config.json, so the emulator and Azure behave alike.

@description('Event Hubs namespace name.')
param name string

@description('Azure region.')
param location string

@description('Tags for the namespace.')
param tags object = {}

@description('Standard or Premium: Basic has no consumer groups besides $Default.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Throughput (Standard) or processing (Premium) units.')
@minValue(1)
param capacity int = 1

@description('Days events are kept (Standard allows up to 7): the window in which a replay from the hub is possible.')
@minValue(1)
@maxValue(7)
param retentionDays int = 7

var consumerGroupName = 'exchange'
var inputHubs = [
  {
    name: 'contracts'
    partitions: 4
  }
  {
    name: 'cancellations'
    partitions: 4
  }
  {
    name: 'policy-admin-cdc'
    partitions: 2
  }
]
var feedbackHub = {
  name: 'dealer-feedback'
  partitions: 4
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: capacity
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource inputs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for hub in inputHubs: {
  parent: namespace
  name: hub.name
  properties: {
    partitionCount: hub.partitions
    messageRetentionInDays: retentionDays
  }
}]

resource consumerGroups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [for (hub, i) in inputHubs: {
  parent: inputs[i]
  name: consumerGroupName
}]

resource feedback 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: feedbackHub.name
  properties: {
    partitionCount: feedbackHub.partitions
    messageRetentionInDays: retentionDays
  }
}

output name string = namespace.name
// `https://<name>.servicebus.windows.net:443/` in the public cloud; the host part, whatever the cloud.
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
output inputHubNames array = [for hub in inputHubs: hub.name]
output feedbackHubName string = feedback.name
output consumerGroupName string = consumerGroupName
