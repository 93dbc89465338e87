import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { describeChange, newSecretView } from '@keymint/server';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { UserMistake } from './errors.js';
import { print } from './output.js';

const NOT_EXPORTED = 'API tokens, client secrets and signing keys are credentials: they are not exported (docs/config-as-code.md)';

/**
 * `keymint export` and `keymint apply` (docs/config-as-code.md): a tenant's declarative state as
 * a file for Git, and the database made to match such a file through the services.
 */
export function registerConfigAsCodeCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('print the declarative state of every tenant (or of --tenant): settings, scope catalog, apps, webhooks; never a secret')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .action((options: { format: 'json' | 'yaml' }) =>
      withKeymint(globals(), async ({ keymint, tenant }) => {
        // --tenant is the program's global option: its default (tenant `default`) must not narrow the export.
        const slugs = program.getOptionValueSource('tenant') === 'default' ? undefined : [tenant.slug];
        const document = await keymint.configAsCode.export(slugs);
        process.stdout.write(options.format === 'yaml' ? `# ${NOT_EXPORTED}\n${toYaml(document)}` : `${JSON.stringify(document, null, 2)}\n`);
      }),
    );
  program
    .command('apply <file>')
    .description('make the database match a file written by keymint export (JSON or YAML): creates and updates, disables only with --prune')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--prune', 'also disable apps and delete webhooks of the file\'s tenants that the file does not list')
    .action((file: string, options: { dryRun?: boolean; prune?: boolean }) =>
      withKeymint(globals(), async ({ keymint }) => {
        const result = await keymint.configAsCode.apply(readDocument(file), { dryRun: options.dryRun === true, prune: options.prune === true }, CLI);
        const secrets = result.secrets.map((s) => ({ tenant: s.tenant, client_id: s.client_id, ...newSecretView(s.secret) }));
        const view = { changes: result.changes, applied: result.applied, plan: result.plan, secrets, new_secret_required: result.new_secret_required, webhook_secrets: result.webhook_secrets };
        print(globals().json, view, () => {
          if (result.changes === 0) return `No changes: the database matches ${file}.`;
          return [
            ...result.plan.map(describeChange),
            '',
            result.applied ? `Applied ${result.changes} change(s), each audited.` : `Dry run: ${result.changes} change(s) planned, nothing changed.`,
            ...(secrets.length === 0 ? [] : ['', 'New client secrets (copy them now: Keymint keeps only their hash and cannot show them again):', ...secrets.map((s) => `  ${s.tenant}/${s.client_id}  ${s.client_secret}`)]),
            ...(result.webhook_secrets.length === 0 ? [] : ['', 'New webhook signing secrets (copy them now: Keymint cannot show them again; rotate with keymint webhook rotate-secret):', ...result.webhook_secrets.map((w) => `  ${w.tenant}/${w.id}  ${w.url}  ${w.secret}`)]),
            ...result.new_secret_required.map((app) => `\n${app} now allows signed requests and needs a new secret: keymint app secret add ${app.split('/')[1]!} --tenant ${app.split('/')[0]!}`),
          ].join('\n');
        });
      }),
    );
}

/** A file written by export: `.json` is JSON, anything else YAML (which also reads JSON). */
function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserMistake(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UserMistake(`${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]!}`);
  }
}
