// A SAML 2.0 identity provider for the SSO browser tests, built on npm `samlify` (the IdP side of a
// widely used SAML library: it parses Spark's AuthnRequest and signs the assertion), run on
// 127.0.0.1 with the Node 22 in tools/. Its sign-in page takes any email, and a "scenario" that
// makes a response Spark must refuse (expired, for another audience, unsigned).
//
//   SAML_IDP_PORT, SAML_IDP_KEY (PEM file), SAML_IDP_CERT (PEM file),
//   SAML_SP_METADATA_URL (Spark's SP metadata; read at the first sign-in)
//
// Serves its metadata at /metadata; prints "ready <base URL>" once it listens.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const tools = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../tools/");
const saml = createRequire(path.join(tools, "package.json"))("samlify");
saml.setSchemaValidator({ validate: () => Promise.resolve("skipped") }); // Spark's side validates

const port = Number(process.env.SAML_IDP_PORT);
const base = `http://127.0.0.1:${port}`;
const { binding } = saml.Constants.namespace;

const ATTRIBUTES =
  '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{AssertionID}"><saml:AuthnContext>' +
  "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>" +
  "</saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>" +
  '<saml:Attribute Name="email"><saml:AttributeValue xsi:type="xs:string">{attrEmail}</saml:AttributeValue></saml:Attribute>' +
  '<saml:Attribute Name="firstName"><saml:AttributeValue xsi:type="xs:string">{attrFirstName}</saml:AttributeValue></saml:Attribute>' +
  '<saml:Attribute Name="lastName"><saml:AttributeValue xsi:type="xs:string">{attrLastName}</saml:AttributeValue></saml:Attribute>' +
  "</saml:AttributeStatement>";
const TEMPLATE = saml.SamlLib.defaultLoginResponseTemplate.context.replace("{AuthnStatement}{AttributeStatement}", ATTRIBUTES);

const idp = saml.IdentityProvider({
  entityID: `${base}/metadata`,
  privateKey: readFileSync(process.env.SAML_IDP_KEY),
  signingCert: readFileSync(process.env.SAML_IDP_CERT),
  nameIDFormat: ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
  singleSignOnService: [{ Binding: binding.redirect, Location: `${base}/sso` }],
  loginResponseTemplate: { context: TEMPLATE },
});

let sp = null;
async function serviceProvider() {
  if (!sp) {
    const response = await fetch(process.env.SAML_SP_METADATA_URL);
    sp = saml.ServiceProvider({ metadata: await response.text() });
  }
  return sp;
}

const pending = new Map(); // form token -> { requestId, relayState }

function values(spEntity, requestId, email, scenario) {
  const now = new Date();
  const later = new Date(now.getTime() + (scenario === "expired" ? -3600e3 : 300e3)).toISOString();
  const [first, ...rest] = (email.split("@")[0] || "").split(".");
  const acs = spEntity.entityMeta.getAssertionConsumerService("post");
  return {
    ID: `_${randomUUID()}`,
    AssertionID: `_${randomUUID()}`,
    Destination: acs,
    Audience: scenario === "audience" ? "https://another-sp.example/metadata/" : spEntity.entityMeta.getEntityID(),
    SubjectRecipient: acs,
    Issuer: `${base}/metadata`,
    IssueInstant: now.toISOString(),
    StatusCode: saml.Constants.StatusCode.Success,
    ConditionsNotBefore: new Date(now.getTime() - (scenario === "expired" ? 7200e3 : 60e3)).toISOString(),
    ConditionsNotOnOrAfter: later,
    SubjectConfirmationDataNotOnOrAfter: later,
    NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    NameID: email,
    InResponseTo: requestId,
    attrEmail: email,
    attrFirstName: first ? first[0].toUpperCase() + first.slice(1) : "",
    attrLastName: rest.join(" ").replace(/^./, (c) => c.toUpperCase()),
  };
}

async function loginResponse(requestId, email, scenario) {
  const spEntity = await serviceProvider();
  const filled = values(spEntity, requestId, email, scenario);
  if (scenario === "unsigned") {
    const xml = saml.SamlLib.replaceTagsByValue(TEMPLATE, filled);
    return { context: Buffer.from(xml).toString("base64"), entityEndpoint: filled.Destination };
  }
  const replace = (template) => ({ id: filled.ID, context: saml.SamlLib.replaceTagsByValue(template, filled) });
  return idp.createLoginResponse(spEntity, { extract: { request: { id: requestId } } }, "post", { email }, replace);
}

const html = (body) => `<!doctype html><html><head><meta charset="utf-8"><title>Test SAML IdP</title></head><body>${body}</body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function signInPage(req, res, url) {
  const { extract } = await idp.parseLoginRequest(await serviceProvider(), "redirect", {
    query: Object.fromEntries(url.searchParams),
    octetString: "",
  });
  const token = randomUUID();
  pending.set(token, { requestId: extract.request.id, relayState: url.searchParams.get("RelayState") || "" });
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(
    html(`<h1>Test SAML IdP</h1><form method="post" action="/login"><input type="hidden" name="token" value="${token}">
<label>Email <input name="email" id="email"></label>
<label>Scenario <select name="scenario" id="scenario"><option value="ok">valid</option><option value="expired">expired</option>
<option value="audience">wrong audience</option><option value="unsigned">unsigned</option></select></label>
<button type="submit" id="idp-sign-in">Sign in</button></form>`),
  );
}

async function finish(req, res) {
  let body = "";
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const found = pending.get(form.get("token"));
  if (!found) {
    res.writeHead(400).end("unknown sign-in");
    return;
  }
  pending.delete(form.get("token"));
  const answer = await loginResponse(found.requestId, form.get("email"), form.get("scenario"));
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(
    html(`<form method="post" action="${escape(answer.entityEndpoint)}" id="to-sp">
<input type="hidden" name="SAMLResponse" value="${escape(answer.context)}">
<input type="hidden" name="RelayState" value="${escape(found.relayState)}">
<button type="submit" id="to-spark">Continue to Spark</button></form>
<script>document.getElementById("to-sp").submit();</script>`),
  );
}

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  try {
    if (req.method === "GET" && url.pathname === "/metadata") {
      res.writeHead(200, { "Content-Type": "application/xml" });
      res.end(idp.getMetadata());
    } else if (req.method === "GET" && url.pathname === "/sso") {
      await signInPage(req, res, url);
    } else if (req.method === "POST" && url.pathname === "/login") {
      await finish(req, res);
    } else {
      res.writeHead(404).end();
    }
  } catch (error) {
    res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error && error.stack ? error.stack : error));
  }
}).listen(port, "127.0.0.1", () => console.log(`ready ${base}`));
