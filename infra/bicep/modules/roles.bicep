// Every role the Function App's identity holds, each the narrowest built-in role that does the job,
// at the narrowest scope that works. Role definition ids are literal so tests/infra can read them.
//
//   Storage Blob Data Owner         storage account   host leases/keys containers + deployment package
//   Monitoring Metrics Publisher    App Insights      Entra-authenticated telemetry ingestion
//   Key Vault Secrets User          Key Vault         resolve the two Key Vault references
//   Service Bus Data Sender         each queue        send approval requests, decisions, callback notices
//   Service Bus Data Receiver       each queue        triggers on the same three queues
//   Cosmos DB Built-in Data Contributor (data plane)  the agentgate database only

@description('Principal (object) id of the Function App identity.')
param functionPrincipalId string

param storageAccountName string
param applicationInsightsName string
param keyVaultName string
param serviceBusNamespaceName string
param queueNames array
param cosmosAccountName string
param cosmosDatabaseName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = [
  for queueName in queueNames: {
    parent: serviceBus
    name: queueName
  }
]

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource cosmosDatabase 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' existing = {
  parent: cosmos
  name: cosmosDatabaseName
}

// Storage Blob Data Owner: what Azure Functions documents for an identity-based AzureWebJobsStorage
// (the host creates its own containers and takes blob leases); it also covers the deployment
// container. No queue or table role: agentgate has no blob triggers and no Durable Functions.
resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
    )
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '3913510d-42f4-4e42-8a64-420c390055eb'
    )
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionPrincipalId, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '4633458b-17de-408a-b874-0445c86b69e6'
    )
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: {
    name: guid(queues[i].id, functionPrincipalId, '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
      )
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource queueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: {
    name: guid(queues[i].id, functionPrincipalId, '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
      )
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Cosmos DB data plane: built-in Data Contributor (00000000-0000-0000-0000-000000000002) on the
// agentgate database only. Reader would not let the gateway write audit records.
resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmosDatabase.id, functionPrincipalId, '00000000-0000-0000-0000-000000000002')
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: functionPrincipalId
    scope: '${cosmos.id}/dbs/${cosmosDatabaseName}'
  }
}
