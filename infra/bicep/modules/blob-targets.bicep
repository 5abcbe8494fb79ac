// Storage accounts agents read through blob connections (connections of kind `blob`): the
// Function App identity gets Storage Blob Data Reader on each exposed container, and nothing on
// the rest of the account. The gateway's own allowlist narrows further to path prefixes; the
// role is the floor that holds even if the gateway were bypassed.
//
//   Storage Blob Data Reader   each exposed container   list and read blobs (no write, no delete)

@description('Principal (object) id of the Function App identity.')
param functionPrincipalId string

@description('One entry per exposed container: { storageAccountName, container }. Accounts must be in this resource group.')
param targets array

resource accounts 'Microsoft.Storage/storageAccounts@2023-05-01' existing = [
  for t in targets: {
    name: t.storageAccountName
  }
]

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = [
  for (t, i) in targets: {
    parent: accounts[i]
    name: 'default'
  }
]

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for (t, i) in targets: {
    parent: blobServices[i]
    name: t.container
  }
]

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (t, i) in targets: {
    name: guid(containers[i].id, functionPrincipalId, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
    scope: containers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
      )
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]
