/**
 * The public entries (mtljs, mtljs/node, mtljs/browser): every type that an exported signature uses is
 * itself exported — from the same entry, or for mtljs/node from the root — so a user can name it; and
 * the browser entry pulls in no Node module.
 *
 * The check reads the declarations with the TypeScript compiler: for every exported function, class,
 * interface, type alias and constant, the types named in its public signature (parameters, return
 * types — annotated or inferred —, properties, heritage), where they are declared in src/, must be
 * exported from the same entry.
 */
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ENTRIES = ['src/index.ts', 'src/node.ts', 'src/browser.ts'].map((f) => path.resolve(f));
const SRC = path.resolve('src') + path.sep;

const program = ts.createProgram(ENTRIES, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

function resolveAlias(s: ts.Symbol): ts.Symbol {
  return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

function isOwnType(s: ts.Symbol): boolean {
  const decl = s.declarations?.[0];
  if (!decl || !decl.getSourceFile().fileName.startsWith(SRC)) return false;
  if (ts.isTypeAliasDeclaration(decl) && isStructural(decl.type)) return false;
  return (s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum)) !== 0;
}

/**
 * A local shorthand for a shape made of built-in and tfjs types only (`type Kwargs = Record<string,
 * unknown>`): the declaration file spells it out, so a user can write it without a name.
 */
function isStructural(node: ts.TypeNode): boolean {
  let own = false;
  const visit = (n: ts.Node) => {
    if (ts.isTypeReferenceNode(n)) {
      const s = checker.getSymbolAtLocation(n.typeName);
      const d = s && resolveAlias(s).declarations?.[0];
      if (d && d.getSourceFile().fileName.startsWith(SRC)) own = true;
    }
    if (ts.isTypeLiteralNode(n)) own = true; // an object shape deserves a name
    ts.forEachChild(n, visit);
  };
  visit(node);
  return !own;
}

/** Own types named (or inferred) in the public part of a declaration. */
function referencedTypes(decl: ts.Node): Set<ts.Symbol> {
  const found = new Set<ts.Symbol>();
  const addType = (t: ts.Type | undefined, depth = 0) => {
    if (!t || depth > 3) return;
    const s = t.aliasSymbol ?? t.getSymbol();
    if (s && isOwnType(s)) found.add(s);
    for (const a of t.aliasTypeArguments ?? []) addType(a, depth + 1);
    if (t.isUnion() || t.isIntersection()) for (const u of t.types) addType(u, depth + 1);
    if (checker.isArrayType(t) || checker.isTupleType(t)) for (const a of checker.getTypeArguments(t as ts.TypeReference)) addType(a, depth + 1);
    if (t.getSymbol()?.getName() === 'Promise') for (const a of checker.getTypeArguments(t as ts.TypeReference)) addType(a, depth + 1);
  };
  const visitTypeNodes = (n: ts.Node) => {
    if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n) || ts.isTypeQueryNode(n)) {
      const name = ts.isTypeReferenceNode(n) ? n.typeName : ts.isTypeQueryNode(n) ? n.exprName : n.expression;
      const s = checker.getSymbolAtLocation(name);
      if (s) {
        const r = resolveAlias(s);
        if (isOwnType(r)) found.add(r);
      }
    }
    if (ts.isBlock(n)) return; // bodies are not the signature
    ts.forEachChild(n, visitTypeNodes);
  };
  const signature = (fn: ts.SignatureDeclaration) => {
    for (const p of fn.parameters) {
      if (p.type) visitTypeNodes(p.type);
      else addType(checker.getTypeAtLocation(p));
    }
    if (fn.type) visitTypeNodes(fn.type);
    else {
      const sig = checker.getSignatureFromDeclaration(fn);
      if (sig) addType(checker.getReturnTypeOfSignature(sig));
    }
    fn.typeParameters?.forEach(visitTypeNodes);
  };
  const isPublic = (m: ts.ClassElement) =>
    !ts.getCombinedModifierFlags(m as ts.Declaration).valueOf() ||
    !(ts.getCombinedModifierFlags(m as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !(m.name && ts.isPrivateIdentifier(m.name));
  if (ts.isFunctionDeclaration(decl)) signature(decl);
  else if (ts.isClassDeclaration(decl)) {
    decl.heritageClauses?.forEach(visitTypeNodes);
    for (const m of decl.members) {
      if (!isPublic(m)) continue;
      if (ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m)) signature(m);
      else if (ts.isPropertyDeclaration(m)) {
        if (m.type) visitTypeNodes(m.type);
        else addType(checker.getTypeAtLocation(m));
      }
    }
  } else if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) visitTypeNodes(decl);
  else if (ts.isVariableDeclaration(decl)) {
    if (decl.type) visitTypeNodes(decl.type);
    else {
      const t = checker.getTypeAtLocation(decl);
      addType(t);
      for (const sig of t.getCallSignatures()) {
        sig.getParameters().forEach((p) => addType(checker.getTypeOfSymbol(p)));
        addType(sig.getReturnType());
      }
    }
  }
  return found;
}

function exportsOf(entry: string): Map<ts.Symbol, string> {
  const sf = program.getSourceFile(entry)!;
  const mod = checker.getSymbolAtLocation(sf)!;
  const out = new Map<ts.Symbol, string>();
  for (const e of checker.getExportsOfModule(mod)) out.set(resolveAlias(e), e.getName());
  return out;
}

describe('the public entries', () => {
  for (const entry of ENTRIES) {
    it(`${path.relative(process.cwd(), entry)}: every type used by an exported signature is exported`, () => {
      const exported = exportsOf(entry);
      expect(exported.size).toBeGreaterThan(20);
      // A page imports mtljs/browser alone; a Node program may take the core's types from the root.
      const nameable = entry.endsWith('node.ts') ? exportsOf(ENTRIES[0]!) : exported;
      const missing = new Set<string>();
      for (const [sym, name] of exported) {
        for (const decl of sym.declarations ?? []) {
          if (!decl.getSourceFile().fileName.startsWith(SRC)) continue;
          for (const t of referencedTypes(decl)) {
            if (!nameable.has(t)) missing.add(`${t.getName()} (used by ${name}, declared in ${path.relative(process.cwd(), t.declarations![0]!.getSourceFile().fileName)})`);
          }
        }
      }
      expect([...missing].sort()).toEqual([]);
    });
  }

  it('the browser entry imports no Node module, directly or through its imports', async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.resolve('src/browser.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      external: ['@tensorflow/*', 'zod'],
    });
    const nodeImports = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.path.startsWith('node:') || i.external && !i.path.startsWith('@tensorflow/') && i.path !== 'zod').map((i) => `${file} → ${i.path}`),
    );
    expect(nodeImports).toEqual([]);
    expect(Object.keys(result.metafile.inputs).some((f) => f.endsWith('src/browser/runtime.ts'))).toBe(true);
  });
});
