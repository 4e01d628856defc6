// A Segment Webhooks (Actions) batch, built and signed the way the destination's code does it
// (segmentio/action-destinations, packages/destination-actions/src/destinations/webhook/:
// index.ts `extendRequest`, send/index.ts `performBatch`, and the request client's `json` option,
// which is JSON.stringify). Run by tests/unit/services/ingest/test_segment_auth.py with `node`.
//
// Input (stdin): {"secret": "...", "calls": [...]} where a call may ask for a JavaScript value the
// JSON input cannot carry: {"$js": "1.1 * 3"} is replaced by that expression's value.
// Output (stdout): {"body": <the request body>, "signature": <X-Signature>}.
'use strict'
const { createHmac } = require('crypto')

function revive(value) {
  if (Array.isArray(value)) return value.map(revive)
  if (value && typeof value === 'object') {
    if (Object.keys(value).length === 1 && typeof value.$js === 'string') {
      return Function(`"use strict"; return (${value.$js})`)()
    }
    const out = {}
    for (const [k, v] of Object.entries(value)) out[k] = revive(v)
    return out
  }
  return value
}

let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => (input += chunk))
process.stdin.on('end', () => {
  const { secret, calls } = JSON.parse(input)
  // performBatch's payload: one entry per event, each with its mapped `data`
  const payload = calls.map((data) => ({ data: revive(data) }))
  // extendRequest, as written there
  const payloadData = payload.length ? payload[0]['data'] : payload['data']
  const signature = createHmac('sha1', secret).update(JSON.stringify(payloadData), 'utf8').digest('hex')
  // performBatch: `json: payload.map(({ data }) => data)`, stringified by the request client
  const body = JSON.stringify(payload.map(({ data }) => data))
  process.stdout.write(JSON.stringify({ body, signature }))
})
