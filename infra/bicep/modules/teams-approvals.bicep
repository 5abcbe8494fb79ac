// Optional Teams approvals through a Consumption Logic App. It is triggered by a message on
// approval-requests, posts an Adaptive Card to a Teams channel with the Teams connector, waits for
// the answer, asks Microsoft Graph which of the request's approver group the responder is in, and
// sends the decision to approval-decisions. Its system-assigned identity receives from the first
// queue and is the only sender besides the Function App on the second; Service Bus and Graph are
// reached with that identity (Graph needs GroupMember.Read.All, granted by an admin: docs/deploy.md).
//
// The Teams connection is created unauthorised: an operator signs it in once (docs/deploy.md).
//
// Message contract:
//   approval-requests (sent by the gateway):
//     { "requestId", "approverGroup": <Entra group object id> | null, "approveUrl" }
//   approval-decisions (sent here): exactly decisionMessageSchema in shared/approvals/decision-message.ts
//     { "decisionId": "<requestId>:teams:<responder object id>", "requestId",
//       "approver": { "id": <responder Entra object id>, "kind": "human",
//                     "issuer": "https://login.microsoftonline.com/<tenant>/v2.0",
//                     "name": <user principal name>, "groups": <the approver group if Graph says the
//                     responder is a member, else []>, "roles": [] },
//       "decision": "approve" | "deny" }
//   tests/infra/teams-decision-contract.test.ts validates the compiled message against that schema.
// The gateway checks the decision again (human, not the requester, in the group, Cedar `approve`).

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
      // The Entra issuer prefix of this cloud (https://login.microsoftonline.com/ in public Azure).
      loginEndpoint: {
        value: environment().authentication.loginEndpoint
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
        loginEndpoint: {
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
                approverGroup: {
                  type: ['string', 'null']
                }
                approveUrl: {
                  type: 'string'
                }
              }
              required: ['requestId', 'approverGroup', 'approveUrl']
            }
          }
        }
        Build_card: {
          type: 'InitializeVariable'
          runAfter: {
            Parse_request: ['Succeeded']
          }
          inputs: {
            variables: [
              {
                name: 'card'
                type: 'object'
                value: {
                  type: 'AdaptiveCard'
                  version: '1.5'
                  body: [
                    {
                      type: 'TextBlock'
                      wrap: true
                      text: 'agentgate: a request needs approval. Review it on the approval page before you answer.'
                    }
                  ]
                  actions: [
                    {
                      type: 'Action.OpenUrl'
                      title: 'Review'
                      url: '@{body(\'Parse_request\')?[\'approveUrl\']}'
                    }
                    {
                      type: 'Action.Submit'
                      title: 'Approve'
                      data: {
                        decision: 'approve'
                      }
                    }
                    {
                      type: 'Action.Submit'
                      title: 'Deny'
                      data: {
                        decision: 'deny'
                      }
                    }
                  ]
                }
              }
            ]
          }
        }
        Post_card_and_wait: {
          type: 'ApiConnectionWebhook'
          runAfter: {
            Build_card: ['Succeeded']
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
                messageBody: '@{string(variables(\'card\'))}'
                updateMessage: 'Thank you: your answer was sent to agentgate.'
                recipient: {
                  groupId: '@parameters(\'teamId\')'
                  channelId: '@parameters(\'channelId\')'
                }
              }
            }
          }
        }
        Check_approver_group: {
          type: 'Http'
          runAfter: {
            Post_card_and_wait: ['Succeeded']
          }
          inputs: {
            method: 'POST'
            uri: 'https://graph.microsoft.com/v1.0/directoryObjects/@{encodeURIComponent(body(\'Post_card_and_wait\')?[\'responder\']?[\'objectId\'])}/checkMemberGroups'
            body: {
              groupIds: '@createArray(coalesce(body(\'Parse_request\')?[\'approverGroup\'], \'00000000-0000-0000-0000-000000000000\'))'
            }
            authentication: {
              type: 'ManagedServiceIdentity'
              audience: 'https://graph.microsoft.com'
            }
          }
        }
        Compose_decision: {
          type: 'Compose'
          runAfter: {
            Check_approver_group: ['Succeeded']
          }
          inputs: {
            decisionId: '@{body(\'Parse_request\')?[\'requestId\']}:teams:@{body(\'Post_card_and_wait\')?[\'responder\']?[\'objectId\']}'
            requestId: '@body(\'Parse_request\')?[\'requestId\']'
            approver: {
              id: '@body(\'Post_card_and_wait\')?[\'responder\']?[\'objectId\']'
              kind: 'human'
              issuer: '@{parameters(\'loginEndpoint\')}@{body(\'Post_card_and_wait\')?[\'responder\']?[\'tenantId\']}/v2.0'
              name: '@body(\'Post_card_and_wait\')?[\'responder\']?[\'userPrincipalName\']'
              groups: '@body(\'Check_approver_group\')?[\'value\']'
              roles: []
            }
            decision: '@body(\'Post_card_and_wait\')?[\'data\']?[\'decision\']'
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
              // The decision id: Service Bus duplicate detection drops a re-sent answer.
              MessageId: '@{outputs(\'Compose_decision\')?[\'decisionId\']}'
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
