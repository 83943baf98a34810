// Writes dist/sdk/api-types.d.ts out in full: the API's input and output types as
// plain object types, resolved by the compiler from the server's router. The SDK's
// published declarations then stand alone: no server files, drizzle, tRPC server
// or Node types for a consumer's compiler to find (test/sdk/published-types.test.ts).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const ts = createRequire(import.meta.url)('typescript');
const SOURCE = resolve('sdk/api-types.ts');

const config = ts.getParsedCommandLineOfConfigFile(resolve('tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram([SOURCE], { ...config.options, noEmit: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(SOURCE);
const F = ts.TypeFlags;

// A named interface of the standard library (AsyncIterable, Date…) is written by name; a mapped
// type from it (Record, Partial…) is written out like any other object.
const fromLib = (symbol) =>
  (symbol?.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) !== 0 &&
  (symbol?.declarations?.some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile())) ?? false);
const isPlainObject = (type) =>
  (type.flags & F.Object) !== 0 && !checker.isArrayType(type) && !checker.isTupleType(type) && !fromLib(type.getSymbol());
const key = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

/** Object shapes met more than once become named types, so the file stays readable and small. */
const seen = new Map();
const named = new Map();
function count(type, path, depth = 0) {
  if (depth > 40) throw new Error(`${path}: too deep`);
  if (type.isUnion() || type.isIntersection()) return type.types.forEach((t) => count(t, path, depth + 1));
  if (!(type.flags & F.Object)) return;
  if (checker.isArrayType(type) || checker.isTupleType(type) || fromLib(type.getSymbol())) {
    return checker.getTypeArguments(type).forEach((t) => count(t, path, depth + 1));
  }
  const entry = seen.get(type);
  if (entry) return void entry.count++;
  seen.set(type, { count: 1, path });
  for (const prop of checker.getPropertiesOfType(type)) count(checker.getTypeOfSymbol(prop), `${path}.${prop.name}`, depth + 1);
  for (const info of checker.getIndexInfosOfType(type)) count(info.type, path, depth + 1);
}

const pascal = (path) => path.split('.').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');

function print(type, indent = '') {
  const alias = named.get(type);
  if (alias) return alias;
  return printShape(type, indent);
}

function printShape(type, indent) {
  const f = type.flags;
  if (f & F.Any) return 'any';
  if (f & F.Unknown) return 'unknown';
  if (f & F.Never) return 'never';
  if (f & F.Void) return 'void';
  if (f & F.Undefined) return 'undefined';
  if (f & F.Null) return 'null';
  if (f & F.String) return 'string';
  if (f & F.Number) return 'number';
  if (f & F.Boolean) return 'boolean';
  if (f & F.BigInt) return 'bigint';
  if (f & (F.ESSymbol | F.UniqueESSymbol)) return 'symbol';
  if (f & F.StringLiteral) return JSON.stringify(type.value);
  if (f & F.NumberLiteral) return String(type.value);
  if (f & F.BooleanLiteral) return checker.typeToString(type);
  if (f & F.TemplateLiteral) return checker.typeToString(type);
  if (type.isUnion()) {
    const members = type.types.map((t) => print(t, indent));
    const both = members.includes('true') && members.includes('false');
    const rest = both ? ['boolean', ...members.filter((m) => m !== 'true' && m !== 'false')] : members;
    return rest.map((m) => (m.includes('=>') ? `(${m})` : m)).join(' | ');
  }
  if (type.isIntersection()) return type.types.map((t) => print(t, indent)).join(' & ');
  if (f & F.Object) {
    if (checker.isTupleType(type)) return `[${checker.getTypeArguments(type).map((t) => print(t, indent)).join(', ')}]`;
    if (checker.isArrayType(type)) return `Array<${print(checker.getTypeArguments(type)[0], indent)}>`;
    const symbol = type.getSymbol();
    if (fromLib(symbol)) {
      const args = checker.getTypeArguments(type).map((t) => print(t, indent));
      return args.length ? `${symbol.name}<${args.join(', ')}>` : symbol.name;
    }
    if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length) throw new Error(`a function type in the API: ${checker.typeToString(type)}`);
    const inner = `${indent}  `;
    const lines = checker.getPropertiesOfType(type).map((prop) => {
      const optional = prop.flags & ts.SymbolFlags.Optional ? '?' : '';
      return `${inner}${key(prop.name)}${optional}: ${print(checker.getTypeOfSymbol(prop), inner)};`;
    });
    for (const info of checker.getIndexInfosOfType(type)) lines.push(`${inner}[key: ${print(info.keyType, inner)}]: ${print(info.type, inner)};`);
    return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
  }
  throw new Error(`cannot write out ${checker.typeToString(type)}`);
}

const exported = source.statements.filter((s) => ts.isTypeAliasDeclaration(s) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
const roots = exported.map((s) => ({ name: s.name.text, type: checker.getTypeAtLocation(s.name), doc: ts.getJSDocCommentsAndTags(s).map((d) => d.getText()).join('\n') }));
for (const root of roots) count(root.type, root.name);
// Roots that are themselves object shapes keep their own names.
for (const root of roots) if (isPlainObject(root.type)) named.set(root.type, root.name);
const taken = new Set(roots.map((r) => r.name));
for (const [type, { count: n, path }] of seen) {
  if (n < 2 || named.has(type) || checker.getPropertiesOfType(type).length < 2) continue;
  let name = pascal(path);
  while (taken.has(name)) name += '_';
  taken.add(name);
  named.set(type, name);
}

const out = [
  '// Written by scripts/build-sdk-types.js from the server\'s router: the API\'s types in full.',
  ...roots.map((r) => `${r.doc ? `${r.doc}\n` : ''}export type ${r.name} = ${printShape(r.type, '')};`),
  ...[...named].filter(([, name]) => !roots.some((r) => r.name === name)).map(([type, name]) => `type ${name} = ${printShape(type, '')};`),
];
writeFileSync('dist/sdk/api-types.d.ts', `${out.join('\n\n')}\n`);
