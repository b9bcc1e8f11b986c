// Jest transform: strips TypeScript types with Node's own stripper, so tests run the exact code `node` runs
// (type-only syntax; the type check is `npm run typecheck`).
const { stripTypeScriptTypes } = require('node:module');
module.exports = {
  process(sourceText, sourcePath) {
    if (!sourcePath.endsWith('.ts')) return { code: sourceText };
    return { code: stripTypeScriptTypes(sourceText, { mode: 'strip', sourceUrl: sourcePath }) };
  },
};
