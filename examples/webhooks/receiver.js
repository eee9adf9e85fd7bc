// A webhook receiver that checks each delivery with verify.js.
//
// Usage: node receiver.js SECRET_FILE. Prints `listening PORT`, then one line
// per request: `verified EVENT_ID` (answered 204) or `rejected` (answered 400).
// The secret is read from SECRET_FILE when a request arrives.
const fs = require("node:fs");
const http = require("node:http");
const { verify } = require("./verify.js");

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const secret = fs.readFileSync(process.argv[2], "utf8").trim();
    if (verify(secret, req.headers["customerd-signature"] || "", body)) {
      console.log("verified", JSON.parse(body).id);
      res.writeHead(204).end();
    } else {
      console.log("rejected");
      res.writeHead(400).end();
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log("listening", server.address().port));
