// Server-Sent Events read from a fetch() body: send_prompt streams over POST, which EventSource
// cannot send. Follows the HTML standard's parsing rules for the fields the service uses.

const LINE_END = /\r\n|\r|\n/;

/** Yield {event, data} for each event in a byte stream (comments and retry fields are skipped). */
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let event = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    let text = pending + value;
    // A chunk may end between the \r and the \n of one line end: keep the \r for the next chunk.
    const held = text.endsWith("\r") ? "\r" : "";
    text = text.slice(0, text.length - held.length);
    const lines = text.split(LINE_END);
    pending = lines.pop() + held;
    for (const line of lines) {
      if (line === "") {
        if (data.length) yield { event: event || "message", data: data.join("\n") };
        event = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let content = colon < 0 ? "" : line.slice(colon + 1);
      if (content.startsWith(" ")) content = content.slice(1);
      if (field === "event") event = content;
      else if (field === "data") data.push(content);
    }
  }
}
