#!/bin/sh
# azd postdeploy hook (azure.yaml): subscribes the claims function to the storage account's blob events, which
# Event Grid accepts only once the host has indexed the function. Waits for that, then deploys
# infra/app/claims-subscription.bicep into the resource group: the same subscription every time, so re-runs change
# nothing. Needs the Azure CLI signed in (`az login`); uses no key (the destination is the function's resource id).
set -eu

FUNCTION_NAME=claims_file_uploaded
SUBSCRIPTION_NAME=claims-file-uploaded
TEMPLATE="$(dirname "$0")/../app/claims-subscription.bicep"
ATTEMPTS="${CLAIMS_HOOK_ATTEMPTS:-60}"  # CLAIMS_HOOK_INTERVAL (10) seconds apart: indexing takes minutes at most

if [ -z "${AZURE_FUNCTION_APP_NAME:-}" ]; then  # run by hand: read the azd environment's outputs
  eval "$(azd env get-values)"
fi
: "${AZURE_RESOURCE_GROUP:?run from azd, or after azd provision}"
: "${AZURE_FUNCTION_APP_NAME:?}" "${AZURE_STORAGE_ACCOUNT_NAME:?}"
: "${EVENTGRID_SYSTEM_TOPIC_NAME:?}" "${EVENTGRID_DEADLETTER_CONTAINER_NAME:?}"

attempt=1
until az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --function-name "$FUNCTION_NAME" --query name --output tsv >/dev/null 2>&1; do
  if [ "$attempt" -ge "$ATTEMPTS" ]; then
    echo "postdeploy: $FUNCTION_NAME is not indexed on $AZURE_FUNCTION_APP_NAME; see its logs, then azd hooks run postdeploy" >&2
    exit 1
  fi
  echo "postdeploy: waiting for the host to index $FUNCTION_NAME ($attempt/$ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "${CLAIMS_HOOK_INTERVAL:-10}"
done

az deployment group create --resource-group "$AZURE_RESOURCE_GROUP" --name "$SUBSCRIPTION_NAME" \
  --template-file "$TEMPLATE" --output none --parameters \
  systemTopicName="$EVENTGRID_SYSTEM_TOPIC_NAME" \
  storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" \
  deadLetterContainerName="$EVENTGRID_DEADLETTER_CONTAINER_NAME" \
  functionAppName="$AZURE_FUNCTION_APP_NAME" \
  functionName="$FUNCTION_NAME"

state=$(az eventgrid system-topic event-subscription show --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" --name "$SUBSCRIPTION_NAME" --query provisioningState --output tsv)
echo "postdeploy: Event Grid subscription $SUBSCRIPTION_NAME -> $FUNCTION_NAME: $state"
[ "$state" = "Succeeded" ]
