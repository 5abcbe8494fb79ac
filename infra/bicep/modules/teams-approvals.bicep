// Optional Teams approvals through a Consumption Logic App. It is triggered by a message on
// approval-requests, posts the message's Adaptive Card to a Teams channel with the Teams connector,
// waits for the answer, and sends the decision with the responder's Entra object id to
// approval-decisions. Its system-assigned identity receives from the first queue and is the only
// sender besides the Function App on the second; Service Bus is reached with that identity.
//
// The Teams connection is created unauthorised: an operator signs it in once (docs/deploy.md).
//
// Message contract (provisional until the approval workflow lands):
//   approval-requests:  { "requestId": string, "card": <Adaptive Card object> }
//                       the card's Action.Submit data carries { "decision": "approved" | "denied" }
//   approval-decisions: { "requestId", "decision", "approver": { "objectId", "tenantId",
//                         "userPrincipalName" }, "respondedAt", "via": "teams-logic-app" }

param name string
param location string
param tags object
param serviceBusNamespaceName string
param requestsQueueName string
param decisionsQueueName string

@description('Id of the Team (its Microsoft 365 group id) whose channel receives approval cards.')
param teamId string

@description('Id of the channel that receives approval cards.')
param channelId string

@description('How long the Logic App waits for an answer (ISO 8601 duration).')
param responseTimeout string = 'PT24H'

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource requestsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: serviceBus
  name: requestsQueueName
}

resource decisionsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: serviceBus
  name: decisionsQueueName
}

var serviceBusApiId = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'servicebus')
var teamsApiId = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'teams')

resource serviceBusConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: '${name}-servicebus'
  location: location
  tags: tags
  properties: {
    displayName: 'agentgate Service Bus (managed identity)'
    api: {
      id: serviceBusApiId
    }
    // The published type of 2016-06-01 lacks parameterValueSet, but ARM accepts it and it is how a
    // Consumption Logic App connection is set to managed-identity authentication (no SAS key).
    #disable-next-line BCP089
    parameterValueSet: {
      name: 'managedIdentityAuth'
      values: {
        namespaceEndpoint: {
          value: 'sb://${split(split(serviceBus.properties.serviceBusEndpoint, '/')[2], ':')[0]}/'
        }
      }
    }
  }
}

resource teamsConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: '${name}-teams'
  location: location
  tags: tags
  properties: {
    displayName: 'agentgate Teams approvals'
    api: {
      id: teamsApiId
    }
  }
}

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    state: 'Enabled'
    parameters: {
      '$connections': {
        value: {
          servicebus: {
            id: serviceBusApiId
            connectionId: serviceBusConnection.id
            connectionName: serviceBusConnection.name
            connectionProperties: {
              authentication: {
                type: 'ManagedServiceIdentity'
              }
            }
          }
          teams: {
            id: teamsApiId
            connectionId: teamsConnection.id
            connectionName: teamsConnection.name
          }
        }
      }
      teamId: {
        value: teamId
      }
      channelId: {
        value: channelId
      }
    }
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: {
        '$connections': {
          type: 'Object'
          defaultValue: {}
        }
        teamId: {
          type: 'String'
        }
        channelId: {
          type: 'String'
        }
      }
      triggers: {
        When_an_approval_request_arrives: {
          type: 'ApiConnection'
          recurrence: {
            frequency: 'Minute'
            interval: 1
          }
          inputs: {
            host: {
              connection: {
                name: '@parameters(\'$connections\')[\'servicebus\'][\'connectionId\']'
              }
            }
            method: 'get'
            path: '/@{encodeURIComponent(encodeURIComponent(\'${requestsQueueName}\'))}/messages/head'
            queries: {
              queueType: 'Main'
            }
          }
        }
      }
      actions: {
        Parse_request: {
          type: 'ParseJson'
          runAfter: {}
          inputs: {
            content: '@json(base64ToString(triggerBody()?[\'ContentData\']))'
            schema: {
              type: 'object'
              properties: {
                requestId: {
                  type: 'string'
                }
                card: {
                  type: 'object'
                }
              }
              required: ['requestId', 'card']
            }
          }
        }
        Post_card_and_wait: {
          type: 'ApiConnectionWebhook'
          runAfter: {
            Parse_request: ['Succeeded']
          }
          limit: {
            timeout: responseTimeout
          }
          inputs: {
            host: {
              connection: {
                name: '@parameters(\'$connections\')[\'teams\'][\'connectionId\']'
              }
            }
            path: '/v1.0/teams/conversation/gatherinput/poster/Flow bot/location/@{encodeURIComponent(\'Channel\')}/$subscriptions'
            body: {
              notificationUrl: '@{listCallbackUrl()}'
              body: {
                messageBody: '@{string(body(\'Parse_request\')?[\'card\'])}'
                updateMessage: 'Thank you: your answer was sent to agentgate.'
                recipient: {
                  groupId: '@parameters(\'teamId\')'
                  channelId: '@parameters(\'channelId\')'
                }
              }
            }
          }
        }
        Compose_decision: {
          type: 'Compose'
          runAfter: {
            Post_card_and_wait: ['Succeeded']
          }
          inputs: {
            requestId: '@body(\'Parse_request\')?[\'requestId\']'
            decision: '@body(\'Post_card_and_wait\')?[\'data\']?[\'decision\']'
            approver: {
              objectId: '@body(\'Post_card_and_wait\')?[\'responder\']?[\'objectId\']'
              tenantId: '@body(\'Post_card_and_wait\')?[\'responder\']?[\'tenantId\']'
              userPrincipalName: '@body(\'Post_card_and_wait\')?[\'responder\']?[\'userPrincipalName\']'
            }
            respondedAt: '@body(\'Post_card_and_wait\')?[\'responseTime\']'
            via: 'teams-logic-app'
          }
        }
        Send_decision: {
          type: 'ApiConnection'
          runAfter: {
            Compose_decision: ['Succeeded']
          }
          inputs: {
            host: {
              connection: {
                name: '@parameters(\'$connections\')[\'servicebus\'][\'connectionId\']'
              }
            }
            method: 'post'
            path: '/@{encodeURIComponent(encodeURIComponent(\'${decisionsQueueName}\'))}/messages'
            queries: {
              systemProperties: 'None'
            }
            body: {
              ContentData: '@{base64(string(outputs(\'Compose_decision\')))}'
              ContentType: 'application/json'
              MessageId: '@{concat(body(\'Parse_request\')?[\'requestId\'], \':teams\')}'
            }
          }
        }
      }
      outputs: {}
    }
  }
}

// The Logic App may only read approval requests and only send decisions.
resource requestsReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(requestsQueue.id, workflow.id, '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
  scope: requestsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
    )
    principalId: workflow.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource decisionsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(decisionsQueue.id, workflow.id, '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
  scope: decisionsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
    )
    principalId: workflow.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = workflow.name
output teamsConnectionName string = teamsConnection.name
output principalId string = workflow.identity.principalId
