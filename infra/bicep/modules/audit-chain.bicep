// The audit chain's signing key and its write-once checkpoint archive (issue 11).
//
//   Key Vault Crypto User         the checkpoint key only   sign checkpoints, read the public key
//   Storage Blob Data Contributor the archive container     write each sealed checkpoint once
//   Storage Blob Data Reader      the archive container     auditors (optional) read checkpoints
//
// The archive lives in its own storage account: the function identity is Blob Data Owner of the
// host's account, which must not reach the archive. The container carries a time-based
// immutability policy: within the retention nobody (the function included) can overwrite or
// delete a checkpoint. Locking the policy is irreversible and is left to the operator after a
// first checkpoint was archived (az storage container immutability-policy lock); unlocked, an
// account owner could still shorten it.

param location string
param tags object

@description('Existing Key Vault (RBAC mode) that holds the checkpoint key.')
param keyVaultName string

@description('Globally unique name of the archive storage account.')
param archiveStorageName string

@description('Principal (object) id of the Function App identity.')
param functionPrincipalId string

@description('Principal ids (users or groups) of auditors who may read the archive.')
param auditorPrincipalIds array = []

@description('Days each checkpoint stays immutable.')
@minValue(1)
@maxValue(146000)
param retentionDays int = 2557

@description('True when private networking is on: public network access is then disabled.')
param privateNetworking bool

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// EC P-256 for ES256; sign and verify only. No rotation policy here: a new version must first be
// listed in the served JWKS, so rotation is an operator step (docs/operations.md).
resource checkpointKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: 'audit-checkpoints'
  properties: {
    kty: 'EC'
    curveName: 'P-256'
    keyOps: [
      'sign'
      'verify'
    ]
    attributes: {
      enabled: true
    }
  }
}

resource keySigner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(checkpointKey.id, functionPrincipalId, '12338af0-0e69-4776-bea7-57ae8d297424')
  scope: checkpointKey
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '12338af0-0e69-4776-bea7-57ae8d297424'
    )
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource archive 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: archiveStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_ZRS'
  }
  properties: {
    accessTier: 'Cool'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'None'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

resource archiveBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: archive
  name: 'default'
}

resource checkpoints 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: archiveBlobs
  name: 'audit-checkpoints'
  properties: {
    publicAccess: 'None'
  }
}

resource retention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: checkpoints
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

resource archiveWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(checkpoints.id, functionPrincipalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: checkpoints
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
    )
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource archiveReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for auditor in auditorPrincipalIds: {
    name: guid(checkpoints.id, auditor, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
    scope: checkpoints
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
      )
      principalId: auditor
    }
  }
]

@description('Versioned key URL for AGENTGATE_AUDIT_SIGNING_KEY_ID (KeyVaultSigner.fromKeyId).')
output checkpointKeyId string = checkpointKey.properties.keyUriWithVersion
output archiveId string = archive.id
output archiveBlobEndpoint string = archive.properties.primaryEndpoints.blob
output archiveContainerName string = checkpoints.name
