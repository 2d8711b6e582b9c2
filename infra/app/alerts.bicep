// Alerts on what operations must act on, as log search rules over Application Insights. The metric names are
// those of function_app/telemetry.py (OpenTelemetry instruments, exported to the `customMetrics` table):
//   fni.dead_letters            counter, dimension hub          rejected inputs written to `deadletter/`
//   fni.lag_seconds             histogram, dimension hub        enqueue-to-decision lag of each event
//   fni.files.delivered         counter, dimensions partner, feed   partner files completed
//   fni.reconciliation.breaks   counter (planned with reconciliation)  differences found by a reconciliation run
//   fni.delivery.blob_taken     counter, dimensions partner, feed   deliveries stopped: the file's name was taken
//   fni.events                  counter, dimensions hub, status, reason   inputs decided; reason TABLE_TRUNCATED is a
//                               truncate on the change feed, which is dead-lettered, not applied
// The poison queue is watched through the host's own log line when it moves a message there.

@description('Application Insights component the rules query.')
param applicationInsightsName string

@description('Azure region of the rules.')
param location string

@description('Tags for the rules and the action group.')
param tags object = {}

@description('Prefix of rule names.')
param namePrefix string

@description('Who is told (email). Empty: the action group has no receiver and alerts show in the portal only.')
param alertEmail string = ''

@description('End-to-end lag SLA in seconds: the largest enqueue-to-decision lag tolerated.')
@minValue(1)
param lagSlaSeconds int = 60

@description('Daily (P1D) feeds as `<partner>/<feed>`: each must deliver a file every night, even an empty one.')
param nightlyFeeds array

@description('Hours past a day since the last file before a nightly feed counts as missing.')
@minValue(1)
@maxValue(23)
param nightlyGraceHours int = 2

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operations'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'fni-ops'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operations'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var deadLettersQuery = '''
customMetrics
| where name == 'fni.dead_letters'
| extend hub = tostring(customDimensions['hub'])
| project timestamp, hub, letters = valueSum
'''

var poisonQuery = '''
traces
| where (message has 'delivery-jobs-poison' or message has 'claims-files-poison') and message has 'MaxDequeueCount'
| project timestamp, message
'''

var reconciliationQuery = '''
customMetrics
| where name == 'fni.reconciliation.breaks'
| project timestamp, breaks = valueSum
'''

var blobTakenQuery = '''
customMetrics
| where name == 'fni.delivery.blob_taken'
| extend feed = strcat(tostring(customDimensions['partner']), '/', tostring(customDimensions['feed']))
| project timestamp, feed, stopped = valueSum
'''

var lagQuery = '''
customMetrics
| where name == 'fni.lag_seconds'
| extend hub = tostring(customDimensions['hub'])
| project timestamp, hub, lagSeconds = valueMax
'''

var truncateQuery = '''
customMetrics
| where name == 'fni.events' and tostring(customDimensions['reason']) == 'TABLE_TRUNCATED'
| project timestamp, truncates = valueSum
'''

// The expected feeds come from the parameter; a feed with no file within a day plus the grace is one row.
var missingNightlyQuery = '''
let delivered = customMetrics
    | where timestamp > ago(lookback) and name == 'fni.files.delivered'
    | extend feed = strcat(tostring(customDimensions['partner']), '/', tostring(customDimensions['feed']))
    | distinct feed;
print feed = expected
| mv-expand feed to typeof(string)
| where feed !in (delivered)
| extend timestamp = now()
'''

resource deadLettersAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-dead-letters'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Dead letters written'
    description: 'Inputs were rejected and written to the deadletter container (metric fni.dead_letters, by hub). Inspect with `fnix deadletters list`; replay after a fix.'
    severity: 3
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: deadLettersQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'letters'
          dimensions: [
            {
              name: 'hub'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource poisonAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-delivery-poison'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Delivery or claims job moved to a poison queue'
    description: 'A partner delivery job or an inbound claims file job failed 5 times and the host moved it to delivery-jobs-poison or claims-files-poison: that feed is not being delivered, or that claims file not answered. See `fnix files queue`, fix, then re-run `fnix deliver` or `fnix inbound scan`.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: poisonQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource reconciliationAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-reconciliation-breaks'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Reconciliation breaks'
    description: 'Reconciliation of journal, partner files and source of record found differences (metric fni.reconciliation.breaks). The report names each break.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: reconciliationQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'breaks'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource blobTakenAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-delivery-blob-taken'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Delivery stopped: file name taken'
    description: 'A delivery found its target blob already holding other bytes and stopped without overwriting it (metric fni.delivery.blob_taken, by partner and feed). The feed delivers nothing until the blob is understood and removed; `fnix reconcile` names it as an unknown file.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: blobTakenQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'stopped'
          dimensions: [
            {
              name: 'feed'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource lagAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-lag-over-sla'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'End-to-end lag over SLA'
    description: 'Events wait longer than the SLA from enqueue to decision (metric fni.lag_seconds, max by hub) in 2 of the last 3 five-minute windows: a backlog, a storage fault being retried, or too few instances.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: lagQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'lagSeconds'
          dimensions: [
            {
              name: 'hub'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: lagSlaSeconds
          failingPeriods: {
            numberOfEvaluationPeriods: 3
            minFailingPeriodsToAlert: 2
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource missingNightlyAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-nightly-file-missing'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Nightly partner file missing'
    description: 'A daily feed delivered no file in the last day plus the grace hours (metric fni.files.delivered by partner and feed). Check the nightly timer, the delivery queue and its poison queue.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    overrideQueryTimeRange: 'P2D' // the query looks back a day plus the grace itself
    criteria: {
      allOf: [
        {
          query: 'let expected = dynamic(${string(nightlyFeeds)});\nlet lookback = ${24 + nightlyGraceHours}h;\n${missingNightlyQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource truncateAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: '${namePrefix}-change-feed-truncate'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Policy-administration table truncated'
    description: 'The change feed carried a truncate (op t, reason TABLE_TRUNCATED in metric fni.events): it was dead-lettered, not applied, so the source of record no longer matches the back office. Find it with `fnix deadletters list --hub policy-admin-cdc`, then have the connector re-snapshot the table.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: truncateQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'truncates'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output alertRuleNames array = [
  deadLettersAlert.name
  poisonAlert.name
  reconciliationAlert.name
  lagAlert.name
  missingNightlyAlert.name
  truncateAlert.name
]
