-- Argo CD health check for dms.tanzu.community/DMSOrganization.
-- Argo CD runs this script with the live object in the global `obj` and reads the
-- returned table: `status` is Healthy, Progressing, Degraded or Suspended, and
-- `message` is shown next to it.
local health = {}

-- Ready reasons that the operator cannot get past by retrying: a person has to
-- change the spec, the credentials Secret, or something in DMS. The operator
-- retries DMSUnavailable by itself, but an unreachable DMS needs attention too.
local degraded_reasons = {
  InvalidSpec = true,
  CredentialsInvalid = true,
  AuthenticationFailed = true,
  TLSVerificationFailed = true,
  Forbidden = true,
  NameConflict = true,
  SecretConflict = true,
  TaskFailed = true,
  UnsupportedChange = true,
  DMSRejected = true,
  DMSUnavailable = true,
}

-- Writes to DMS paused by the annotation dms.tanzu.community/paused.
local suspended_reasons = {
  Paused = true,
}

local function find_ready(status)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      return condition
    end
  end
  return nil
end

local function describe(condition)
  local reason = condition.reason or "NoReason"
  if condition.message ~= nil and condition.message ~= "" then
    return reason .. ": " .. condition.message
  end
  return reason
end

if obj.metadata.deletionTimestamp ~= nil then
  health.status = "Progressing"
  health.message = "The operator is releasing this organization (DMS keeps it)"
  return health
end

local status = obj.status
local ready = find_ready(status)
if ready == nil then
  health.status = "Progressing"
  health.message = "Waiting for the operator to report a Ready condition"
  return health
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  health.status = "Progressing"
  health.message = string.format("Waiting for the operator to reconcile generation %d", generation)
  return health
end

if ready.status == "True" then
  health.status = "Healthy"
  health.message = ready.message or "Ready"
  return health
end

if suspended_reasons[ready.reason] then
  health.status = "Suspended"
elseif degraded_reasons[ready.reason] then
  health.status = "Degraded"
else
  -- Creating, Updating, DriftDetected, CredentialsNotFound, and any reason this script
  -- does not know.
  health.status = "Progressing"
end
health.message = describe(ready)
return health
