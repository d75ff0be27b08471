#!/usr/bin/env node
// Bastion from Node: two users of one tenant log in with development
// tokens; alice creates a session and memories and lists them; bob asks for
// alice's session and memory by id and is told NOT_FOUND, and his own list
// is empty of hers.
//
// The protos are loaded at run time by @grpc/proto-loader (no generated
// code); calls go through @grpc/grpc-js:
//
//   cd examples/node && npm ci && node walkthrough.js
//
// Options (defaults fit `tools/up.sh`): --authn ADDRESS (127.0.0.1:7001),
// --data ADDRESS (127.0.0.1:7003), --dev-key PEM
// (.bastion/keys/dev.private.pem, relative to the checkout), --kid (dev),
// --issuer (https://dev.bastion.local), --audience (bastion), --tenant
// (acme), --protos DIR (the checkout's protos/). Prints each step; exits 0
// when every check held, 1 ("check failed: ...") when one did not, 2 when a
// call failed unexpectedly.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const CHECKOUT = path.resolve(__dirname, '..', '..');

function parseArgs(argv) {
  const options = {
    authn: '127.0.0.1:7001',
    data: '127.0.0.1:7003',
    'dev-key': path.join(CHECKOUT, '.bastion/keys/dev.private.pem'),
    kid: 'dev',
    issuer: 'https://dev.bastion.local',
    audience: 'bastion',
    tenant: 'acme',
    protos: path.join(CHECKOUT, 'protos'),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in options) || i + 1 >= argv.length) {
      console.error(`usage: walkthrough.js [--${Object.keys(options).join(' V] [--')} V]`);
      process.exit(2);
    }
    options[name] = argv[i + 1];
  }
  return options;
}

class CheckFailed extends Error {}

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// A development token: a JWT signed with the development key, the way
// tools/mint_token.py and `bastion login --dev-key` make one.
function devToken(options, subject, roles) {
  const key = crypto.createPrivateKey(fs.readFileSync(options['dev-key']));
  const algorithms = { ed25519: 'EdDSA', rsa: 'RS256', ec: 'ES256' };
  const alg = algorithms[key.asymmetricKeyType];
  if (!alg) throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, kid: options.kid, typ: 'JWT' };
  const claims = {
    sub: subject, iss: options.issuer, aud: options.audience, iat: now,
    nbf: now, exp: now + 900, jti: crypto.randomUUID(),
    tenant_id: options.tenant, roles,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = alg === 'EdDSA'
    ? crypto.sign(null, Buffer.from(input), key)
    : crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

function loadProtos(protosDir) {
  const definition = protoLoader.loadSync(
    ['bastion/authn/v1/authn.proto', 'bastion/data/v1/data.proto'], {
      // descriptor.proto (imported for the method options) comes from
      // libprotobuf-dev.
      includeDirs: [protosDir, '/usr/include'],
      keepCase: true, longs: String, enums: String, defaults: true,
    });
  return grpc.loadPackageDefinition(definition).bastion;
}

// One unary call as a promise.
function call(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + 10000 },
      (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

class User {
  constructor(name, token, clients) {
    this.name = name;
    this.token = token;
    this.metadata = new grpc.Metadata();
    this.metadata.set('authorization', `Bearer ${token}`);
    this.clients = clients;
  }

  // Authenticate is public: the credential in the request is what it
  // checks, and the answer says who the token belongs to.
  async login() {
    const reply = await call(this.clients.authn, 'Authenticate',
      { credential: this.token }, new grpc.Metadata());
    return reply.principal;
  }

  sessions(method, request) {
    return call(this.clients.sessions, method, request, this.metadata);
  }

  memories(method, request) {
    return call(this.clients.memories, method, request, this.metadata);
  }
}

async function expectNotFound(what, promise) {
  try {
    await promise;
  } catch (error) {
    if (error.code !== grpc.status.NOT_FOUND) {
      throw new CheckFailed(`${what}: expected NOT_FOUND, got ${grpc.status[error.code]}`);
    }
    console.log(`${what}: NOT_FOUND`);
    return;
  }
  throw new CheckFailed(`${what}: expected NOT_FOUND, but it answered`);
}

async function walkthrough(options) {
  const bastion = loadProtos(options.protos);
  const insecure = grpc.credentials.createInsecure();
  const clients = {
    authn: new bastion.authn.v1.Authn(options.authn, insecure),
    sessions: new bastion.data.v1.Sessions(options.data, insecure),
    memories: new bastion.data.v1.Memories(options.data, insecure),
  };
  try {
    const users = {};
    for (const name of ['alice', 'bob']) {
      users[name] = new User(name, devToken(options, name, ['member']), clients);
      const principal = await users[name].login();
      console.log(`${name} logged in: subject ${principal.subject}, tenant ` +
                  `${principal.tenant_id}, roles ${principal.roles.join(' ')}`);
    }
    const { alice, bob } = users;

    const session = await alice.sessions('CreateSession', {
      component_type: 'COMPONENT_TYPE_AGENT', component_id: 'echo',
      name: 'walkthrough from Node',
    });
    console.log(`alice created session ${session.session_id} (owner ${session.user_id})`);

    const created = [];
    for (const text of ['prefers short answers', 'works in the Berlin office']) {
      const memory = await alice.memories('CreateMemory', { text, topics: ['walkthrough'] });
      created.push(memory.memory_id);
      console.log(`alice created memory ${memory.memory_id}: ${memory.text}`);
    }

    const listed = (await alice.memories('ListMemories', {
      topic: 'walkthrough', sort_order: 'SORT_ORDER_ASC',
    })).memories;
    console.log(`alice lists ${listed.length} memories: ` +
                listed.map((memory) => memory.text).join('; '));
    if (JSON.stringify(listed.map((m) => m.memory_id).sort()) !==
        JSON.stringify([...created].sort())) {
      throw new CheckFailed("alice's list is not the memories she created");
    }

    await expectNotFound("bob reads alice's session",
      bob.sessions('GetSession', { session_id: session.session_id }));
    await expectNotFound("bob reads alice's memory",
      bob.memories('GetMemory', { memory_id: created[0] }));
    const theirs = (await bob.memories('ListMemories', { topic: 'walkthrough' })).memories;
    console.log(`bob lists ${theirs.length} memories`);
    if (theirs.some((memory) => memory.user_id !== 'bob')) {
      throw new CheckFailed("bob's list holds someone else's memory");
    }
    console.log('every check held: each user sees only their own');
  } finally {
    Object.values(clients).forEach((client) => client.close());
  }
}

walkthrough(parseArgs(process.argv.slice(2))).then(
  () => process.exit(0),
  (error) => {
    if (error instanceof CheckFailed) {
      console.error(`check failed: ${error.message}`);
      process.exit(1);
    }
    if (error.code !== undefined && grpc.status[error.code] !== undefined) {
      console.error(`${grpc.status[error.code]}: ${error.details}`);
    } else {
      console.error(error.message);
    }
    process.exit(2);
  });
