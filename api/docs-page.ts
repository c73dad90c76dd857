// /docs: a self-contained page that renders /openapi.json (same origin) with no script, style or font from elsewhere.
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Handoff API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f7f8fa; }
  header { background: #1d232a; color: #fff; padding: 1rem 2rem; }
  header h1 { margin: 0; font-size: 1.4rem; }
  main { max-width: 1000px; margin: 0 auto; padding: 1rem 2rem 4rem; }
  .intro { white-space: pre-wrap; }
  h2 { margin-top: 2rem; border-bottom: 1px solid #ccd; text-transform: capitalize; }
  details.op { background: #fff; border: 1px solid #dde; border-radius: 6px; margin: .5rem 0; }
  details.op > summary { cursor: pointer; padding: .5rem .8rem; list-style: none; display: flex; gap: .8rem; align-items: baseline; }
  .method { font: bold 12px monospace; padding: 2px 8px; border-radius: 4px; color: #fff; min-width: 4em; text-align: center; }
  .get { background: #2f7dd1; } .put { background: #c77c12; } .post { background: #2a9d5c; } .delete { background: #c23b3b; }
  .path { font-family: monospace; font-weight: 600; }
  .body { padding: 0 1rem 1rem; }
  pre { background: #f1f3f6; padding: .6rem; overflow: auto; border-radius: 4px; font-size: 12.5px; }
  table { border-collapse: collapse; } td { padding: 2px 10px 2px 0; vertical-align: top; }
  code { background: #eef; padding: 0 3px; border-radius: 3px; }
  .err { color: #b00; }
</style>
</head>
<body>
<header><h1 id="title">Handoff API</h1></header>
<main id="main"><p>Loading <a href="openapi.json">openapi.json</a>…</p></main>
<script>
(function () {
  var main = document.getElementById('main');
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function resolve(doc, schema, depth) {
    if (!schema || depth > 6) return schema;
    if (schema.$ref) {
      var name = schema.$ref.split('/').pop();
      return resolve(doc, doc.components.schemas[name], depth + 1);
    }
    var out = Array.isArray(schema) ? [] : {};
    Object.keys(schema).forEach(function (k) {
      var v = schema[k];
      out[k] = v && typeof v === 'object' ? resolve(doc, v, depth + 1) : v;
    });
    return out;
  }
  function pre(obj) { return el('pre', {}, [JSON.stringify(obj, null, 2)]); }
  // A request body's or an answer's schema: its JSON one (the API's), else whatever media type it has.
  function schemaOf(part) {
    var content = part && part.content;
    if (!content) return undefined;
    var media = content['application/json'] || content[Object.keys(content)[0]];
    return media && media.schema;
  }
  fetch('openapi.json').then(function (r) { return r.json(); }).then(function (doc) {
    document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
    document.title = doc.info.title;
    main.textContent = '';
    main.appendChild(el('p', { class: 'intro' }, [doc.info.description || '']));
    main.appendChild(el('p', {}, ['Authenticate with ', el('code', {}, ['PUT /v2/api_auth']), ', then send the token as ',
      el('code', {}, ['X-Auth-Token']), ' or ', el('code', {}, ['Authorization: Bearer']), '. Raw document: ',
      el('a', { href: 'openapi.json' }, ['openapi.json'])]));
    var byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || 'other';
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      main.appendChild(el('h2', {}, [tag]));
      byTag[tag].forEach(function (e) {
        var body = el('div', { class: 'body' }, []);
        if (e.op.description) body.appendChild(el('p', {}, [e.op.description]));
        if (e.op.parameters && e.op.parameters.length) {
          body.appendChild(el('h4', {}, ['Parameters']));
          body.appendChild(el('table', {}, e.op.parameters.map(function (p) {
            return el('tr', {}, [el('td', {}, [el('code', {}, [p.name])]), el('td', {}, [p.in + (p.required ? ', required' : '')]),
              el('td', {}, [p.description || ''])]);
          })));
        }
        if (e.op.requestBody) {
          body.appendChild(el('h4', {}, ['Request body']));
          body.appendChild(pre(resolve(doc, schemaOf(e.op.requestBody), 0)));
        }
        body.appendChild(el('h4', {}, ['Responses']));
        var rows = Object.keys(e.op.responses).map(function (code) {
          return el('tr', {}, [el('td', {}, [el('b', {}, [code])]), el('td', {}, [e.op.responses[code].description])]);
        });
        body.appendChild(el('table', {}, rows));
        var ok = Object.keys(e.op.responses).filter(function (c) { return c[0] === '2'; })[0];
        if (ok && schemaOf(e.op.responses[ok])) {
          var env = resolve(doc, schemaOf(e.op.responses[ok]), 0);
          body.appendChild(el('h4', {}, [ok + ' data']));
          body.appendChild(pre(env && env.properties ? env.properties.data : env));
          if (env && env.properties && env.properties.handoff) {
            body.appendChild(el('h4', {}, [ok + ' handoff (in the envelope)']));
            body.appendChild(pre(env.properties.handoff));
          }
        }
        main.appendChild(el('details', { class: 'op' }, [
          el('summary', {}, [el('span', { class: 'method ' + e.method }, [e.method.toUpperCase()]),
            el('span', { class: 'path' }, [e.path]), el('span', {}, [e.op.summary || ''])]),
          body,
        ]));
      });
    });
  }).catch(function (err) {
    main.textContent = '';
    main.appendChild(el('p', { class: 'err' }, ['Could not load openapi.json: ' + err]));
  });
})();
</script>
</body>
</html>
`;
