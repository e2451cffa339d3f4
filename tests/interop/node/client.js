#!/usr/bin/env node
// The node-soap + xml-crypto stack of ketenserver's real-stack interop suite.
//
// Builds clients from the WSDL the server serves (over mutual TLS), adds WS-Addressing headers
// the way a node vendor does (client.addSoapHeader, wsa:Action taken from the operation's
// wsam:Action in the WSDL), signs in profile 2W-be-S with node-soap's WSSecurityCert (RSA-SHA256,
// SHA-256 digests, exclusive c14n, Body + Timestamp + every WS-Addressing header), and runs one
// scenario per service and profile. It prints one JSON line per call and saves every raw request
// and reply in the output directory; tests/interop/test_node_soap.py checks them.
//
// usage: node client.js --base-url URL --cert LEAF.pem --key KEY.pem --chain CHAIN.pem --ca CA.pem
//                       --oin OIN --out DIR --bsn BSN --bsn BSN [--brin 25LX]
//        node client.js --verify REPLY.xml --request REQUEST.xml --ca CA.pem   (the reply check alone)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

const soap = require('soap');
const { DOMParser } = require('@xmldom/xmldom');
const { SignedXml } = require('xml-crypto');

const WSA = 'http://www.w3.org/2005/08/addressing';
const WSAM = ['http://www.w3.org/2007/05/addressing/metadata', 'http://www.w3.org/2006/05/addressing/wsdl'];
const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSSE11 = 'http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const PROFILES = ['2W-be', '2W-be-S'];

function parseArgs(argv) {
  const out = { bsn: [] };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (key === 'bsn') out.bsn.push(argv[i + 1]);
    else out[key] = argv[i + 1];
  }
  const needed = out.verify ? ['ca', 'request'] : ['baseUrl', 'cert', 'key', 'chain', 'ca', 'oin', 'out'];
  for (const required of needed) {
    if (!out[required]) throw new Error(`missing --${required}`);
  }
  return out;
}

const opts = parseArgs(process.argv);
const KEY = opts.key ? fs.readFileSync(opts.key, 'utf8') : null;
const CERT = opts.cert ? fs.readFileSync(opts.cert, 'utf8') : null;
// One agent for the WSDL, the schemas and every call: mutual TLS with the party's chain.
const agent = opts.verify ? null : new https.Agent({
  cert: fs.readFileSync(opts.chain), key: KEY, ca: fs.readFileSync(opts.ca), keepAlive: true,
});

function text(node) {
  return node ? node.textContent.trim() : null;
}

function firstNS(doc, ns, local) {
  const found = doc.getElementsByTagNameNS(ns, local);
  return found.length ? found[0] : null;
}

// wsam:Action (or the older wsaw:Action) of every operation's input, read from the raw WSDL
// node-soap fetched: node-soap itself drops these attributes when it builds its model.
function inputActions(wsdlXml) {
  const doc = new DOMParser().parseFromString(wsdlXml, 'text/xml');
  const actions = {};
  for (const portType of Array.from(doc.getElementsByTagNameNS(WSDL_NS, 'portType'))) {
    for (const operation of Array.from(portType.getElementsByTagNameNS(WSDL_NS, 'operation'))) {
      const input = operation.getElementsByTagNameNS(WSDL_NS, 'input')[0];
      if (!input) continue;
      for (const ns of WSAM) {
        const action = input.getAttributeNS(ns, 'Action');
        if (action) actions[operation.getAttribute('name')] = action;
      }
    }
  }
  return actions;
}

// What a SOAP fault says: the catalogue code from FaultDetail/Code, else the "NNNN: " prefix.
function parseReply(body) {
  const result = { fault: null, relatesTo: null, action: null, signed: false };
  if (!body || typeof body !== 'string' || !body.includes('Envelope')) return result;
  let doc;
  try {
    doc = new DOMParser({ onError: () => {} }).parseFromString(body, 'text/xml');
  } catch {
    return result;
  }
  result.relatesTo = text(firstNS(doc, WSA, 'RelatesTo'));
  result.action = text(firstNS(doc, WSA, 'Action'));
  result.signed = !!firstNS(doc, DS, 'Signature');
  const fault = firstNS(doc, SOAP11, 'Fault');
  if (fault) {
    const faultstring = text(Array.from(fault.childNodes).find((n) => n.localName === 'faultstring'));
    const faultcode = text(Array.from(fault.childNodes).find((n) => n.localName === 'faultcode'));
    const codeNode = Array.from(fault.getElementsByTagName('*')).find((n) => n.localName === 'Code');
    const prefix = /^([A-Z]{0,3}-?\d{4}):/.exec(faultstring || '');
    result.fault = {
      faultcode, faultstring, code: codeNode ? text(codeNode) : (prefix ? prefix[1] : null),
    };
  }
  return result;
}

// One Timestamp, one BinarySecurityToken, a Signature with a Reference each for the Body, the
// Timestamp and every WS-Addressing header sent. A fresh WSSecurityCert per call: the reference
// list depends on which headers the call carries (xml-crypto refuses a reference it cannot find).
// idMode 'default' is node-soap's out-of-the-box shape (plain Id attributes on the signed parts);
// 'wssecurity' puts wsu:Id on them, as WS-Security's own examples do.
function security(headerNames, idMode) {
  const signerOptions = {
    prefix: 'ds',
    existingPrefixes: {
      wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
      wsu: WSU,
    },
  };
  if (idMode === 'wssecurity') signerOptions.idMode = 'wssecurity';
  return new soap.WSSecurityCert(KEY, CERT, '', {
    hasTimeStamp: true,
    signatureAlgorithm: RSA_SHA256,
    digestAlgorithm: SHA256,
    additionalReferences: headerNames,
    signerOptions,
  });
}

function pemCertificates(bundle) {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) || [])
    .map((pem) => new crypto.X509Certificate(pem));
}

const TRUST = pemCertificates(fs.readFileSync(opts.ca, 'utf8'));

function idOf(element) {
  for (const attr of Array.from(element.attributes || [])) {
    if (attr.localName === 'Id' || attr.localName === 'ID' || attr.localName === 'id') return attr.value;
  }
  return null;
}

// What a node client has to check on a signed reply itself (node-soap does not verify replies):
// the signature with the BinarySecurityToken's certificate, that certificate issued by a CA of the
// trust bundle and valid now, the token referenced directly, Body, Timestamp and every
// WS-Addressing header covered, the Timestamp fresh, and SignatureConfirmation = our SignatureValue.
// (SignatureConfirmation only on replies that are not faults.) Returns null when all holds, else
// what failed.
function verifyReply(reply, request, expectConfirmation) {
  try {
    const doc = new DOMParser().parseFromString(reply, 'text/xml');
    const signatures = doc.getElementsByTagNameNS(DS, 'Signature');
    if (signatures.length !== 1) return `expected one ds:Signature, found ${signatures.length}`;
    const token = firstNS(doc, WSSE, 'BinarySecurityToken');
    if (!token) return 'no BinarySecurityToken';
    const b64 = text(token).replace(/\s+/g, '');
    const pem = `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
    const cert = new crypto.X509Certificate(pem);
    const now = new Date();
    if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) return 'signer certificate not valid now';
    if (!TRUST.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
      return `signer certificate not issued by the trust bundle: ${cert.subject}`;
    }
    const str = firstNS(signatures[0], WSSE, 'Reference');
    if (!str || str.getAttribute('URI') !== `#${idOf(token)}`) return 'SecurityTokenReference does not point at the token';
    const signer = new SignedXml({ publicCert: pem });
    signer.loadSignature(signatures[0]);
    if (!signer.checkSignature(reply)) return 'signature does not verify (xml-crypto)';
    if (signer.signatureAlgorithm !== RSA_SHA256) return `signature algorithm ${signer.signatureAlgorithm}`;
    const uris = new Set(Array.from(signatures[0].getElementsByTagNameNS(DS, 'Reference'))
      .map((ref) => ref.getAttribute('URI')));
    const header = firstNS(doc, SOAP11, 'Header');
    const required = [firstNS(doc, SOAP11, 'Body'), firstNS(doc, WSU, 'Timestamp')];
    for (const child of Array.from(header.childNodes)) {
      if (child.namespaceURI === WSA) required.push(child);
    }
    for (const part of required) {
      if (!part) return 'Body or Timestamp missing';
      if (!uris.has(`#${idOf(part)}`)) return `${part.localName} is not signed`;
    }
    const expires = text(firstNS(doc, WSU, 'Expires'));
    const created = text(firstNS(doc, WSU, 'Created'));
    if (!created || Math.abs(Date.parse(created) - now) > 5 * 60000) return `Timestamp Created not fresh: ${created}`;
    if (expires && Date.parse(expires) < now) return `Timestamp expired: ${expires}`;
    const sent = text(firstNS(new DOMParser().parseFromString(request, 'text/xml'), DS, 'SignatureValue'));
    const confirmation = firstNS(doc, WSSE11, 'SignatureConfirmation');
    if (!expectConfirmation) return null; // a refused signature is not confirmed
    if (!confirmation) return 'no SignatureConfirmation';
    if ((confirmation.getAttribute('Value') || '').replace(/\s+/g, '') !== (sent || '').replace(/\s+/g, '')) {
      return 'SignatureConfirmation does not hold our SignatureValue';
    }
    return null;
  } catch (err) {
    return `verification error: ${err.message || err}`;
  }
}

async function makeClient(service, profile) {
  const url = `${opts.baseUrl}/${service}/${profile}?wsdl`;
  const client = await soap.createClientAsync(url, { wsdl_options: { httpsAgent: agent, proxy: false } });
  const actions = inputActions(client.wsdl.xml || client.wsdl.toXML());
  const description = client.describe();
  const ports = [];
  for (const svc of Object.keys(description)) {
    for (const port of Object.keys(description[svc])) ports.push(`${svc}/${port}`);
  }
  return { client, actions, ports, service, profile };
}

let counter = 0;

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

// One call: WS-Addressing headers (From only on state-changing operations), in 2W-be-S signed,
// optionally tampered with after signing; the raw request and reply are saved, the outcome printed.
async function call(stack, operation, args, options = {}) {
  const { stateChanging = false, tamper = null, variant = 'plain', idMode = 'default' } = options;
  const sendFrom = stateChanging || !!options.fromOnQuery;
  const { client, actions, service, profile } = stack;
  const signed = profile.endsWith('-S');
  const messageId = `urn:uuid:${crypto.randomUUID()}`;
  const record = {
    service, operation, profile, variant, state_changing: stateChanging, id_mode: signed ? idMode : null,
    message_id: messageId, ports: stack.ports,
  };
  const headerNames = ['wsa:To', 'wsa:Action', 'wsa:MessageID'];
  if (sendFrom) headerNames.push('wsa:From');
  client.clearSoapHeaders();
  client.addSoapHeader((method, location, soapAction) => {
    const action = actions[method.$name] || soapAction;
    Object.assign(record, { to: location, action, soap_action: soapAction, wsam_action_found: method.$name in actions });
    let xml = `<wsa:To xmlns:wsa="${WSA}">${location}</wsa:To>`
      + `<wsa:Action xmlns:wsa="${WSA}">${action}</wsa:Action>`
      + `<wsa:MessageID xmlns:wsa="${WSA}">${messageId}</wsa:MessageID>`;
    if (sendFrom) {
      xml += `<wsa:From xmlns:wsa="${WSA}"><wsa:Address>${WSA}/anonymous?oin=${opts.oin}</wsa:Address></wsa:From>`;
    }
    return xml;
  });
  let wsSecurity = null;
  if (signed) wsSecurity = options.security ? options.security(headerNames) : security(headerNames, idMode);
  client.setSecurity(wsSecurity);
  const callOptions = { httpsAgent: agent, proxy: false }; // axios: no HTTPS_PROXY for loopback
  if (tamper) {
    callOptions.postProcess = (xml) => {
      const changed = tamper(xml);
      if (changed === xml) throw new Error('tamper changed nothing');
      return changed;
    };
  }
  const base = `${String(++counter).padStart(2, '0')}-${service}.${operation}.${profile}.${variant}`;
  client.lastRequest = null;
  client.lastResponse = null;
  let result = null;
  try {
    [result] = await client[`${operation}Async`](args, callOptions);
    record.outcome = 'ok';
  } catch (err) {
    record.outcome = 'fault';
    record.error = String(err && err.message ? err.message : err).slice(0, 500);
  }
  const request = client.lastRequest;
  let reply = client.lastResponse;
  if (reply && typeof reply !== 'string') reply = String(reply);
  if (request) {
    record.request_file = `${base}.request.xml`;
    fs.writeFileSync(path.join(opts.out, record.request_file), request);
  }
  if (reply) {
    record.response_file = `${base}.response.xml`;
    fs.writeFileSync(path.join(opts.out, record.response_file), reply);
  }
  const parsed = parseReply(reply);
  Object.assign(record, { relates_to: parsed.relatesTo, reply_action: parsed.action, reply_signed: parsed.signed });
  if (parsed.fault) {
    Object.assign(record, {
      outcome: 'fault', fault_code: parsed.fault.code, faultcode: parsed.fault.faultcode,
      faultstring: parsed.fault.faultstring,
    });
  } else if (record.outcome === 'fault' && !reply) {
    record.outcome = 'error';
  }
  if (signed && reply && parsed.signed && request) record.node_verify = verifyReply(reply, request, !parsed.fault);
  record.result = result;
  emit(record);
  return record;
}

async function makeStack(service, profile) {
  try {
    return await makeClient(service, profile);
  } catch (err) {
    emit({ service, operation: 'wsdl', profile, variant: 'plain', outcome: 'error',
      error: String(err && err.message ? err.message : err).slice(0, 500) });
    return null;
  }
}

// Response fields read defensively: the contracts are still moving (element names may change).
function pick(obj, ...names) {
  if (!obj || typeof obj !== 'object') return undefined;
  for (const name of names) if (obj[name] !== undefined) return obj[name];
  return undefined;
}

function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

function daysAgo(days) {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - days);
  return d;
}

function schoolYear(date) {
  const y = date.getUTCFullYear();
  return date.getUTCMonth() < 7 ? `${y - 1}-${y}` : `${y}-${y + 1}`;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
  + '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

function verzuimmelding(bsn, offset) {
  const begin = daysAgo(40 + offset);
  const end = daysAgo(36 + offset);
  const born = new Date(Date.UTC(begin.getUTCFullYear() - 15, 4, 14));
  return {
    Leerling: {
      Bsn: bsn, Voornamen: 'Noor', Achternaam: 'Node', Geboortedatum: isoDate(born),
      Woonadres: { Straat: 'Oudegracht', Huisnummer: 158, Postcode: '3511 AB', Plaats: 'Utrecht' },
    },
    School: { Brin: opts.brin || '25LX', Vestigingsnummer: '01' },
    Schooljaar: schoolYear(begin),
    Niveau: 'MBO niveau 2',
    Leerweg: 'BOL',
    Voltijd: true,
    Verzuimsoort: 'DRIE_DAGEN',
    Periode: { Begindatum: isoDate(begin), Einddatum: isoDate(end) },
    VermoedelijkeReden: 'Spijbelen; gemeld door node-soap.',
    Melder: { Email: 'verzuim@rocdemonoord.example', Rol: 'Verzuimcoördinator', Contactpersoon: 'J. de Groot' },
    AlleLessenVerzuimd: false,
    Bijlagen: { Bijlage: [{ Bestandsnaam: 'brief.pdf', Inhoud: PDF.toString('base64') }] },
  };
}

// Tampering after signing: one signed value changed in the serialised message.
function changeText(element, change) {
  const pattern = new RegExp(`(<(?:\\w+:)?${element}(?:\\s[^>]*)?>)([^<]*)(</)`);
  return (xml) => xml.replace(pattern, (_, open, value, close) => open + change(value) + close);
}

async function scenario() {
  let bsnIndex = 0;
  const nextBsn = () => {
    if (bsnIndex >= opts.bsn.length) throw new Error('not enough --bsn values');
    return opts.bsn[bsnIndex++];
  };
  for (const profile of PROFILES) {
    const signed = profile.endsWith('-S');
    // Signed: node-soap's default Id attributes, and again with idMode 'wssecurity' (wsu:Id).
    const idModes = signed ? ['default', 'wssecurity'] : ['default'];
    const sbb = await makeStack('sbb-erkenningen', profile);
    if (sbb) {
      for (const idMode of idModes) {
        const variant = idMode === 'wssecurity' ? 'wsu-id' : 'plain';
        const found = await call(sbb, 'OpvragenErkenningen', { Crebo: '25180', Land: 'NL', PaginaGrootte: 1 },
          { variant, idMode });
        const company = asList(pick(found.result, 'Leerbedrijf', 'Leerbedrijven'))[0];
        const address = company && pick(company, 'Vestigingsadres', 'Adres');
        const query = company && address
          ? { Naam: pick(company, 'Naam'), Postcode: pick(address, 'Postcode') }
          : { Naam: 'Bakkerij De Vries', Postcode: '1012 AB' };
        const number = address && pick(address, 'Huisnummer');
        if (number !== undefined && number !== null) query.Huisnummer = number;
        await call(sbb, 'VaststellenLeerbedrijf', query, { variant, idMode });
        await call(sbb, 'AanmeldenMutatieabonnement', { Soort: 'Erkenningsmutaties' },
          { stateChanging: true, variant, idMode });
      }
      if (signed) {
        // Other ways a node vendor may configure WSSecurityCert, and what the server must say.
        const query = { Crebo: '25180', Land: 'NL', PaginaGrootte: 1 };
        // README-style: only additionalReferences (node-soap's defaults for everything else)
        await call(sbb, 'OpvragenErkenningen', query, {
          variant: 'minimal-options',
          security: (names) => new soap.WSSecurityCert(KEY, CERT, '', { additionalReferences: names }),
        });
        // one WSSecurityCert set once and used for two calls
        const shared = security(['wsa:To', 'wsa:Action', 'wsa:MessageID'], 'default');
        await call(sbb, 'OpvragenErkenningen', query, { variant: 'reused-security-1', security: () => shared });
        await call(sbb, 'OpvragenErkenningen', query, { variant: 'reused-security-2', security: () => shared });
        // wsa:From (signed) on a pure query as well
        await call(sbb, 'OpvragenErkenningen', query, { variant: 'from-on-query', fromOnQuery: true });
        // refused: no Timestamp (0115), wsa:To left out of the signature (0112), SHA-1 digests (0113)
        await call(sbb, 'OpvragenErkenningen', query, {
          variant: 'no-timestamp',
          security: (names) => new soap.WSSecurityCert(KEY, CERT, '', {
            hasTimeStamp: false, signatureAlgorithm: RSA_SHA256, digestAlgorithm: SHA256, additionalReferences: names,
          }),
        });
        await call(sbb, 'OpvragenErkenningen', query, {
          variant: 'to-unsigned',
          security: (names) => security(names.filter((name) => name !== 'wsa:To'), 'default'),
        });
        await call(sbb, 'OpvragenErkenningen', query, {
          variant: 'sha1-digest',
          security: (names) => new soap.WSSecurityCert(KEY, CERT, '', {
            signatureAlgorithm: RSA_SHA256, digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1',
            additionalReferences: names,
          }),
        });
        // a signed Body value changed after signing
        await call(sbb, 'OpvragenErkenningen', { Crebo: '25180', Land: 'NL', PaginaGrootte: 1 },
          { variant: 'tampered-body', tamper: changeText('Crebo', () => '25181') });
      }
    }
    const duo = await makeStack('duo-verzuimloket', profile);
    if (duo) {
      for (const idMode of idModes) {
        const variant = idMode === 'wssecurity' ? 'wsu-id' : 'plain';
        const registered = await call(duo, 'IndienenVerzuimmelding', verzuimmelding(nextBsn(), 0),
          { stateChanging: true, variant, idMode });
        const number = pick(registered.result, 'Meldingnummer');
        await call(duo, 'OpvragenVerzuimmelding', { Meldingnummer: number || '2026999999' }, { variant, idMode });
        await call(duo, 'SynchroniserenVerzuimmeldingen', { Cursor: 0, PaginaGrootte: 1 }, { variant, idMode });
      }
      if (signed) {
        // a signed WS-Addressing header (wsa:MessageID) changed after signing
        await call(duo, 'IndienenVerzuimmelding', verzuimmelding(nextBsn(), 0), {
          stateChanging: true, variant: 'tampered-header',
          tamper: changeText('wsa:MessageID', () => `urn:uuid:${crypto.randomUUID()}`),
        });
      }
    }
  }
}

if (opts.verify) {
  // --verify REPLY --request REQUEST --ca CA.pem: only the reply check, printed as JSON.
  const verdict = verifyReply(fs.readFileSync(opts.verify, 'utf8'), fs.readFileSync(opts.request, 'utf8'), true);
  process.stdout.write(JSON.stringify({ node_verify: verdict }) + '\n');
} else {
  fs.mkdirSync(opts.out, { recursive: true });
  scenario().then(() => {
    agent.destroy();
  }, (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    agent.destroy();
    process.exit(2);
  });
}
