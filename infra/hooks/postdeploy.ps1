# azd postdeploy hook (azure.yaml), the same steps as postdeploy.sh: waits until the host has indexed the claims
# function, then deploys infra/app/claims-subscription.bicep into the resource group (the same subscription every
# time, so re-runs change nothing). Needs the Azure CLI signed in (`az login`); uses no key.
$ErrorActionPreference = 'Stop'

$FunctionName = 'claims_file_uploaded'
$SubscriptionName = 'claims-file-uploaded'
$Template = Join-Path $PSScriptRoot '..' 'app' 'claims-subscription.bicep'
$Interval = if ($env:CLAIMS_HOOK_INTERVAL) { [int]$env:CLAIMS_HOOK_INTERVAL } else { 10 }
$Attempts = if ($env:CLAIMS_HOOK_ATTEMPTS) { [int]$env:CLAIMS_HOOK_ATTEMPTS } else { 60 }

if (-not $env:AZURE_FUNCTION_APP_NAME) {  # run by hand: read the azd environment's outputs
    foreach ($line in (& azd env get-values)) {
        if ($line -match '^([^=]+)=(.*)$') {
            [Environment]::SetEnvironmentVariable($Matches[1], ($Matches[2] -replace '^"|"$'))
        }
    }
}
foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AZURE_STORAGE_ACCOUNT_NAME',
                  'EVENTGRID_SYSTEM_TOPIC_NAME', 'EVENTGRID_DEADLETTER_CONTAINER_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { throw "postdeploy: $name is not set (run azd provision)" }
}

$attempt = 1
while ($true) {
    az functionapp function show --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
        --function-name $FunctionName --query name --output tsv 2>$null | Out-Null
    if ($LASTEXITCODE -eq 0) { break }
    if ($attempt -ge $Attempts) {
        throw "postdeploy: $FunctionName is not indexed on $($env:AZURE_FUNCTION_APP_NAME); see its logs, then azd hooks run postdeploy"
    }
    Write-Host "postdeploy: waiting for the host to index $FunctionName ($attempt/$Attempts)"
    $attempt++
    Start-Sleep -Seconds $Interval
}

az deployment group create --resource-group $env:AZURE_RESOURCE_GROUP --name $SubscriptionName `
    --template-file $Template --output none --parameters `
    "systemTopicName=$($env:EVENTGRID_SYSTEM_TOPIC_NAME)" `
    "storageAccountName=$($env:AZURE_STORAGE_ACCOUNT_NAME)" `
    "deadLetterContainerName=$($env:EVENTGRID_DEADLETTER_CONTAINER_NAME)" `
    "functionAppName=$($env:AZURE_FUNCTION_APP_NAME)" `
    "functionName=$FunctionName"
if ($LASTEXITCODE -ne 0) { throw "postdeploy: the subscription deployment failed" }

$state = az eventgrid system-topic event-subscription show --resource-group $env:AZURE_RESOURCE_GROUP `
    --system-topic-name $env:EVENTGRID_SYSTEM_TOPIC_NAME --name $SubscriptionName --query provisioningState --output tsv
Write-Host "postdeploy: Event Grid subscription $SubscriptionName -> ${FunctionName}: $state"
if ($state -ne 'Succeeded') { exit 1 }
