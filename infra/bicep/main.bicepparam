// Parameters for main.bicep. azd fills AZURE_ENV_NAME and AZURE_LOCATION; with
// `az deployment group create` export the same variables first (docs/deploy.md lists them).
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'agentgate')
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')
param authAudiences = readEnvironmentVariable('AGENTGATE_AUTH_AUDIENCES', 'api://agentgate')
param enablePrivateNetworking = bool(readEnvironmentVariable('AGENTGATE_PRIVATE_NETWORKING', 'false'))
param enableTeamsLogicApp = bool(readEnvironmentVariable('AGENTGATE_TEAMS_LOGIC_APP', 'false'))
param teamsTeamId = readEnvironmentVariable('AGENTGATE_TEAMS_TEAM_ID', '')
param teamsChannelId = readEnvironmentVariable('AGENTGATE_TEAMS_CHANNEL_ID', '')
