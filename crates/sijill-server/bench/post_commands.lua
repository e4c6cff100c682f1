-- wrk script: POST /v1/commands, one register_person per request, each with a unique
-- command id and handle (thread number + counter), so every request records a new event.
--   SIJILL_TOKEN=<registrar token> wrk -t2 -c64 -d30s -s post_commands.lua http://127.0.0.1:8080 -- <run-name>
-- <run-name>: lowercase letters, digits and '-', different for every run against one registry.

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "bench"
  counter = 0
  token = os.getenv("SIJILL_TOKEN")
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
end

function request()
  counter = counter + 1
  local key = run .. "-" .. thread_no .. "-" .. counter
  local body = '{"command_id":"' .. key .. '","commands":[{"command":"register_person","handle":"@' ..
    key .. '","name":"Person ' .. key .. '"}]}'
  return wrk.format("POST", "/v1/commands", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors = (errors or 0) + 1
    if errors <= 3 then print("unexpected status " .. status .. ": " .. body) end
  end
end
