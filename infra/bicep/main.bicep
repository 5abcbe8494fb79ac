// agentgate in one resource group: a keyless deployment. Nothing here authenticates with a key
// or a connection string; every service trusts the Function App's user-assigned identity through
// role assignments (modules/roles.bicep). Deploy with `azd up` or
// `az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam`.
// docs/deploy.md covers what Bicep cannot do (Entra app registration, secrets, target grants).
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('Environment name (azd sets it); part of every resource name and tag.')
param environmentName string

@description('Azure region; must offer Flex Consumption.')
param location string = resourceGroup().location

@minLength(1)
@description('Comma-separated accepted token audiences, e.g. api://agentgate (the API app registration).')
param authAudiences string

@description('Comma-separated Entra tenant ids whose tokens are accepted; defaults to this tenant.')
param authTenants string = tenant().tenantId

@description('Connections/classification config file, relative to the deployed package root.')
param configPath string = 'agentgate.config.yaml'

@description('Cedar policy folder; empty means the policies/ folder shipped next to the bundle (dist/policies).')
param policyDir string = ''

@description('VNet integration, private endpoints and private DNS for Cosmos DB, Service Bus, Storage and Key Vault, with public network access off on them.')
param enablePrivateNetworking bool = false

@description('Teams approvals through a Consumption Logic App (needs teamsTeamId and teamsChannelId). Not available with private networking.')
param enableTeamsLogicApp bool = false

@description('Team (Microsoft 365 group) id for approval cards; used when enableTeamsLogicApp is true.')
param teamsTeamId string = ''

@description('Channel id for approval cards; used when enableTeamsLogicApp is true.')
param teamsChannelId string = ''

@description('How long the Logic App waits for an approver (ISO 8601 duration).')
param teamsResponseTimeout string = 'PT24H'

@description('Principal ids (users or groups) of auditors who may read the audit checkpoint archive.')
param auditorPrincipalIds array = []

@minValue(1)
@maxValue(146000)
@description('Days each archived audit checkpoint stays immutable (default 7 years).')
param auditRetentionDays int = 2557

@minValue(40)
@maxValue(1000)
@description('Upper bound on Flex Consumption instances.')
param maximumInstanceCount int = 100

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'agentgate'
}

var cosmosDatabaseName = 'agentgate'

// Mirrors COSMOS_CONTAINERS in shared/store/cosmos-layout.ts (tests/infra compares the two).
// defaultTtl in seconds; no defaultTtl means items never expire.
var cosmosContainers = [
  {
    name: 'audit'
    partitionKey: '/day'
  }
  {
    name: 'requests'
    partitionKey: '/id'
    defaultTtl: 2592000
  }
  {
    name: 'results'
    partitionKey: '/resultId'
    defaultTtl: 86400
  }
  {
    name: 'budgets'
    partitionKey: '/id'
    defaultTtl: 172800
  }
  {
    name: 'auditLanes'
    partitionKey: '/id'
  }
  {
    name: 'auditCheckpoints'
    partitionKey: '/id'
  }
]

var requestsQueueName = 'approval-requests'
var decisionsQueueName = 'approval-decisions'
// Signed notices to requesters' callback URLs (shared/use-cases/callbacks.ts).
var callbacksQueueName = 'callbacks'

var maskingKeySecretName = 'masking-key'
var teamsWebhookSecretName = 'teams-webhook-url'
var callbackKeySecretName = 'callback-key'

var functionAppName = 'func-agentgate-${token}'

// A Consumption Logic App reaches Service Bus through shared connector infrastructure, which a
// namespace with public network access off refuses; say so at deployment instead of failing later.
var deployTeamsLogicApp = !enableTeamsLogicApp
  ? false
  : enablePrivateNetworking
      ? fail('enableTeamsLogicApp cannot be combined with enablePrivateNetworking: use the Teams Workflows webhook (AGENTGATE_TEAMS_WEBHOOK_URL) instead.')
      : empty(teamsTeamId) || empty(teamsChannelId)
          ? fail('enableTeamsLogicApp needs teamsTeamId and teamsChannelId.')
          : true

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-agentgate-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-agentgate-${token}'
    applicationInsightsName: 'appi-agentgate-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'stagentgate${take(token, 11)}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}'
    privateNetworking: enablePrivateNetworking
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: 'cosmos-agentgate-${token}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    containers: cosmosContainers
    privateNetworking: enablePrivateNetworking
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: 'sb-agentgate-${token}'
    location: location
    tags: tags
    privateNetworking: enablePrivateNetworking
    queueNames: [requestsQueueName, decisionsQueueName, callbacksQueueName]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv-agentgate-${take(token, 11)}'
    location: location
    tags: tags
    privateNetworking: enablePrivateNetworking
  }
}

module network 'modules/network.bicep' = if (enablePrivateNetworking) {
  name: 'network'
  params: {
    name: 'vnet-agentgate-${token}'
    location: location
    tags: tags
  }
}

var privateEndpoints = [
  {
    name: 'pe-blob-${token}'
    service: 'storage'
    groupId: 'blob'
    zone: 'blob'
  }
  {
    name: 'pe-cosmos-${token}'
    service: 'cosmos'
    groupId: 'Sql'
    zone: 'cosmos'
  }
  {
    name: 'pe-servicebus-${token}'
    service: 'serviceBus'
    groupId: 'namespace'
    zone: 'serviceBus'
  }
  {
    name: 'pe-keyvault-${token}'
    service: 'keyVault'
    groupId: 'vault'
    zone: 'keyVault'
  }
  {
    name: 'pe-audit-blob-${token}'
    service: 'auditArchive'
    groupId: 'blob'
    zone: 'blob'
  }
]

var privateEndpointTargets = {
  storage: storage.outputs.id
  cosmos: cosmos.outputs.id
  serviceBus: serviceBus.outputs.id
  keyVault: keyVault.outputs.id
  auditArchive: auditChain.outputs.archiveId
}

module endpoints 'modules/private-endpoint.bicep' = [
  for pe in privateEndpoints: if (enablePrivateNetworking) {
    name: pe.name
    params: {
      name: pe.name
      location: location
      tags: tags
      subnetId: network!.outputs.privateEndpointsSubnetId
      targetId: privateEndpointTargets[pe.service]
      groupId: pe.groupId
      dnsZoneId: network!.outputs.dnsZoneIds[pe.zone]
    }
  }
]

@description('Containers agents read through blob connections: [{ storageAccountName, container }], accounts in this resource group. The identity gets Storage Blob Data Reader on each.')
param blobReadTargets array = []

module blobTargets 'modules/blob-targets.bicep' = if (!empty(blobReadTargets)) {
  name: 'blob-targets'
  params: {
    functionPrincipalId: identity.outputs.principalId
    targets: blobReadTargets
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    functionPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    queueNames: [requestsQueueName, decisionsQueueName, callbacksQueueName]
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
  }
}

// The checkpoint signing key (Crypto User for the function on that key only) and the
// write-once checkpoint archive in its own storage account (modules/audit-chain.bicep).
module auditChain 'modules/audit-chain.bicep' = {
  name: 'audit-chain'
  params: {
    location: location
    tags: tags
    keyVaultName: keyVault.outputs.name
    archiveStorageName: 'stagaudit${take(token, 11)}'
    functionPrincipalId: identity.outputs.principalId
    auditorPrincipalIds: auditorPrincipalIds
    retentionDays: auditRetentionDays
    privateNetworking: enablePrivateNetworking
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  dependsOn: [roles, endpoints]
  params: {
    name: functionAppName
    planName: 'plan-agentgate-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
    serviceBusNamespaceName: serviceBus.outputs.name
    authTenants: authTenants
    authAudiences: authAudiences
    configPath: configPath
    policyDir: policyDir
    subnetId: enablePrivateNetworking ? network!.outputs.functionsSubnetId : ''
    maximumInstanceCount: maximumInstanceCount
    maskingKeySecretName: maskingKeySecretName
    teamsWebhookSecretName: teamsWebhookSecretName
    callbackKeySecretName: callbackKeySecretName
    teamsLogicApp: deployTeamsLogicApp
    auditSigningKeyId: auditChain.outputs.checkpointKeyId
    // The blob endpoint ends in '/'.
    auditArchiveUrl: '${auditChain.outputs.archiveBlobEndpoint}${auditChain.outputs.archiveContainerName}'
  }
}

module teamsApprovals 'modules/teams-approvals.bicep' = if (deployTeamsLogicApp) {
  name: 'teams-approvals'
  params: {
    name: 'logic-agentgate-approvals-${token}'
    location: location
    tags: tags
    serviceBusNamespaceName: serviceBus.outputs.name
    requestsQueueName: requestsQueueName
    decisionsQueueName: decisionsQueueName
    teamId: teamsTeamId
    channelId: teamsChannelId
    responseTimeout: teamsResponseTimeout
  }
}

// Names and endpoints only: no output carries a key, a connection string or a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AGENTGATE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AGENTGATE_API_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AGENTGATE_IDENTITY_NAME string = identity.outputs.name
output AGENTGATE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AGENTGATE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AGENTGATE_KEY_VAULT_NAME string = keyVault.outputs.name
output AGENTGATE_MASKING_KEY_SECRET_NAME string = maskingKeySecretName
output AGENTGATE_TEAMS_WEBHOOK_SECRET_NAME string = teamsWebhookSecretName
output AGENTGATE_CALLBACK_KEY_SECRET_NAME string = callbackKeySecretName
output AGENTGATE_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output AGENTGATE_SERVICEBUS_NAMESPACE string = serviceBus.outputs.name
output AGENTGATE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AGENTGATE_AUDIT_ARCHIVE_BLOB_ENDPOINT string = auditChain.outputs.archiveBlobEndpoint
output AGENTGATE_TEAMS_LOGIC_APP_NAME string = deployTeamsLogicApp ? teamsApprovals!.outputs.name : ''
output AGENTGATE_TEAMS_CONNECTION_NAME string = deployTeamsLogicApp ? teamsApprovals!.outputs.teamsConnectionName : ''
