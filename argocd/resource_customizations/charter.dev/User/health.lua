-- Argo CD health check for Charter objects (charter.dev: User, Organization, UserGroup and Collaboration all carry
-- this same script; docs/deploy.md shows how to install it). It reads the status the operator writes the way
-- kstatus (Flux) does, so both tools agree on every status the operator writes:
--   no status yet, or a status of an older generation      Progressing (the operator has not reconciled this spec)
--   Stalled=True                                           Degraded    (only a change to the spec can fix it)
--   Ready=True                                             Healthy     (warning conditions named in the message)
--   Ready=False                                            Progressing (waiting for other objects, e.g. a subject,
--                                                                      or for a grant's permission map: MapWithheld)
--   no Ready, or Ready=Unknown                             Progressing
-- On statuses only another writer can make they differ: Reconciling=True beside Ready=True is kstatus InProgress but
-- Healthy here; `status: {}` or a status without observedGeneration is kstatus Current but Progressing here.
-- Argo CD runs argocd-cm checks without Lua's string library, so this script uses only the base and table ones.
local hs = {}
local status = obj.status
local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
if status == nil or status.observedGeneration == nil or status.observedGeneration < 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the Charter operator to reconcile it"
  return hs
end
if generation ~= nil and status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the Charter operator to reconcile generation " .. generation .. " (the status is of generation " .. status.observedGeneration .. ")"
  return hs
end
local ready = nil
local stalled = nil
local warnings = {}
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    elseif condition.type == "Stalled" then
      if condition.status == "True" then
        stalled = condition
      end
    elseif condition.status == "True" and condition.type ~= "Accepted" and condition.type ~= "ResolvedRefs" and condition.type ~= "Reconciling" then
      table.insert(warnings, condition.type .. ": " .. condition.message)
    end
  end
end
if stalled ~= nil then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. stalled.message
  return hs
end
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Charter operator to report Ready"
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  if #warnings > 0 then
    hs.message = hs.message .. " (warnings: " .. table.concat(warnings, "; ") .. ")"
  end
  return hs
end
hs.status = "Progressing"
hs.message = ready.reason .. ": " .. ready.message
return hs
