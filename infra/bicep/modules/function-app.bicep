// The gateway: a Linux Function App on Flex Consumption (FC1, Node 22) running as the user-assigned
// identity. The deployment package lives in a blob container reached with that identity; FTP and
// basic publishing credentials are off. App settings are exactly what the code reads (SETTINGS in
// shared/config/settings.ts) plus the host's own settings; tests/infra checks both lists.

param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (for identity-based connections and @azure/identity).')
param identityClientId string

param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultName string
param cosmosAccountName string
param cosmosDatabaseName string
param serviceBusNamespaceName string

@description('Comma-separated Entra tenant ids whose tokens are accepted.')
param authTenants string

@description('Comma-separated accepted token audiences.')
param authAudiences string

@description('Config file path inside the deployed package.')
param configPath string

@description('Policy folder; empty selects the policies shipped in the package.')
param policyDir string

@description('Subnet for VNet integration; empty for none.')
param subnetId string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Key Vault secret holding the deterministic masking key.')
param maskingKeySecretName string

@description('Key Vault secret holding the Teams Workflows webhook URL.')
param teamsWebhookSecretName string

@description('True when the Teams Logic App takes approval-requests: the notifyApprovers trigger is then off, so the two never compete for its messages.')
param teamsLogicApp bool = false

@description('Key Vault secret holding the HMAC key that signs callback notices (32+ characters).')
param callbackKeySecretName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Client id of the Entra single-page app the approval page signs in with (empty: no Entra sign-in on the page).')
param approvalClientId string = ''

@description('Tenant of the approval page sign-in (empty: the first of the accepted tenants).')
param approvalTenantId string = ''

@description('Scope the approval page asks for, e.g. api://<gateway app id>/Approvals.Decide.')
param approvalScope string = ''

@description('Comma-separated browser origins allowed to call /mcp (empty: none).')
param mcpAllowedOrigins string = ''

@description('Versioned URL of the Key Vault key that signs audit checkpoints (empty: no audit chain).')
param auditSigningKeyId string = ''

@description('URL of the immutable checkpoint archive container (modules/audit-chain.bicep); empty: none.')
param auditArchiveUrl string = ''

@description('Minutes between runs of the audit verification timer (verifyAuditWindow).')
@minValue(1)
@maxValue(1440)
param auditVerifyMinutes int = 15

@description('Hash-chain lanes of the audit trail: fixed for the life of the audit data (a checkpoint with another count fails verify).')
@minValue(1)
@maxValue(1024)
param auditLanes int = 16

@description('Days a kept replay result (connections with replay) stays in the result store.')
@minValue(1)
@maxValue(3650)
param replayTtlDays int = 30

// Keep the keys literal: tests/infra reads them from the compiled template.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Host settings (not read by agentgate's code).
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    'AzureWebJobs.notifyApprovers.Disabled': string(teamsLogicApp)
    // agentgate settings (SETTINGS in shared/config/settings.ts).
    AGENTGATE_CONFIG: configPath
    AGENTGATE_POLICY_DIR: policyDir
    AGENTGATE_AUTH_TENANTS: authTenants
    AGENTGATE_AUTH_AUDIENCES: authAudiences
    AGENTGATE_MASKING_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${maskingKeySecretName}/)'
    AGENTGATE_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${teamsWebhookSecretName}/)'
    AGENTGATE_CALLBACK_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${callbackKeySecretName}/)'
    AGENTGATE_APPROVAL_BASE_URL: 'https://${site.properties.defaultHostName}'
    AGENTGATE_APPROVAL_CLIENT_ID: approvalClientId
    AGENTGATE_APPROVAL_TENANT_ID: approvalTenantId
    AGENTGATE_APPROVAL_SCOPE: approvalScope
    AGENTGATE_MCP_ALLOWED_ORIGINS: mcpAllowedOrigins
    AGENTGATE_AUDIT_SIGNING_KEY_ID: auditSigningKeyId
    AGENTGATE_AUDIT_ARCHIVE_URL: auditArchiveUrl
    AGENTGATE_AUDIT_VERIFY_MINUTES: string(auditVerifyMinutes)
    AGENTGATE_AUDIT_LANES: string(auditLanes)
    AGENTGATE_REPLAY_TTL_DAYS: string(replayTtlDays)
    COSMOS__accountEndpoint: cosmos.properties.documentEndpoint
    COSMOS__credential: 'managedidentity'
    COSMOS__clientId: identityClientId
    COSMOS_DATABASE: cosmosDatabaseName
    SERVICEBUS__fullyQualifiedNamespace: split(split(serviceBus.properties.serviceBusEndpoint, '/')[2], ':')[0]
    SERVICEBUS__credential: 'managedidentity'
    SERVICEBUS__clientId: identityClientId
    AZURE_CLIENT_ID: identityClientId
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
