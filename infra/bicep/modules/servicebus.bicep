// Service Bus with local (SAS) authentication off and the two approval queues.
// Private endpoints need the Premium tier, so the tier follows the networking choice.

param name string
param location string
param tags object

@description('True when private networking is on: Premium tier, public network access disabled.')
param privateNetworking bool

@description('Queue names: approval-requests, approval-decisions, callbacks.')
param queueNames array

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: privateNetworking ? 'Premium' : 'Standard'
    tier: privateNetworking ? 'Premium' : 'Standard'
    capacity: privateNetworking ? 1 : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
  }
}

// Peek-lock for one minute, five deliveries then the dead-letter queue; expired messages are
// dead-lettered too, so nothing about an approval disappears silently. Duplicate detection
// drops a re-sent message with the same id within ten minutes.
resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in queueNames: {
    parent: namespace
    name: queueName
    properties: {
      lockDuration: 'PT1M'
      maxDeliveryCount: 5
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: 'P1D'
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      requiresSession: false
      enablePartitioning: false
    }
  }
]

output id string = namespace.id
output name string = namespace.name
output endpoint string = namespace.properties.serviceBusEndpoint
