#!/bin/sh
# A persistent dcp program in POSIX sh (protocol 1, docs/protocol.md): kept
# between tasks, it reads one request per line on descriptor 3 and answers
# each on descriptor 4; its stdout and stderr stay its own.
# The result of a task is one CSV row: "<selection>,<start_date>".
# A sketch without a JSON parser: sed takes the fields out of the compact
# request, which works for values without quotes or backslashes (uuids, these
# selections, dates) and no params using these names; use jq or python for more.
printf '{"ready": true, "protocol": 1}\n' >&4
while IFS= read -r request; do
  task_id=$(printf '%s\n' "$request" | sed -n 's/.*"task_id": *"\([^"]*\)".*/\1/p')
  selection=$(printf '%s\n' "$request" | sed -n 's/.*"selection": *"\([^"]*\)".*/\1/p')
  start_date=$(printf '%s\n' "$request" | sed -n 's/.*"start_date": *"\([^"]*\)".*/\1/p')
  echo "computing $selection from $start_date"  # the worker's drain, not the protocol
  printf '{"task_id":"%s","result":"%s,%s\\n"}\n' "$task_id" "$selection" "$start_date" >&4
done <&3
# EOF on descriptor 3: the worker ends this process (recycling, or its own end).
