// A real OpenID Connect identity provider for the SSO browser tests: panva's `oidc-provider`
// (OpenID Certified), run on 127.0.0.1 with the Node 22 in tools/. Its built-in sign-in form
// (devInteractions) takes an account's email as the login; the accounts below are all it knows.
//
//   OIDC_IDP_PORT, OIDC_IDP_CLIENT_ID, OIDC_IDP_CLIENT_SECRET, OIDC_IDP_REDIRECT_URIS (comma-separated)
//
// Prints "ready <issuer>" once it listens.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const tools = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../tools/");
const require = createRequire(path.join(tools, "package.json"));
const { default: Provider } = await import(pathToFileURL(require.resolve("oidc-provider")).href);

const port = Number(process.env.OIDC_IDP_PORT);
const issuer = `http://127.0.0.1:${port}`;

// login (email) -> claims. `sub` is the IdP's stable user ID, as with Okta or Entra ID.
const ACCOUNTS = {
  "ana.sso@acme.example": { sub: "acme-0001", name: "Ana Sso", given_name: "Ana", family_name: "Sso" },
  "member@acme.example": { sub: "acme-0002", name: "Max Member (IdP)", given_name: "Max", family_name: "Member" },
  "unverified@acme.example": { sub: "acme-0003", name: "Una Verified", email_verified: false },
  "eve@outside.example": { sub: "out-0001", name: "Eve Outside" },
  // A colleague who has not signed in to Spark yet (someone may try to take her address first).
  "carla.new@acme.example": { sub: "acme-0004", name: "Carla New", given_name: "Carla", family_name: "New" },
  // Acme's admin, who turns "Require SSO" on with a password and then signs in here.
  "admin@acme.example": { sub: "acme-0005", name: "Ada Admin (IdP)", given_name: "Ada", family_name: "Admin" },
};

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: "jwk" }), kid: "idp-test-key", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_IDP_CLIENT_ID,
      client_secret: process.env.OIDC_IDP_CLIENT_SECRET,
      redirect_uris: process.env.OIDC_IDP_REDIRECT_URIS.split(","),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  jwks: { keys: [signing] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name"],
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { email: id, email_verified: true, ...account };
      },
    };
  },
  // The organization's admin assigned Spark to its people: no consent screen at the IdP.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
