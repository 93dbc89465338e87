import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

/**
 * What a mailed code is for. Every code proves the mailbox and signs in at /auth/otp/verify; the
 * purpose only words the mail (docs/end-users.md).
 */
export type CodePurpose = 'sign-in' | 'verify' | 'reset';

const WORDING: Record<CodePurpose, { subject: string; line: string }> = {
  'sign-in': { subject: 'sign-in code', line: 'Your sign-in code is' },
  verify: { subject: 'email confirmation code', line: 'Confirm your email address: your code is' },
  reset: { subject: 'password reset code', line: 'Your password reset code is' },
};

/** Delivers one-time codes. */
export interface CodeMailer {
  sendCode(to: string, code: string, context: { tenantName: string; minutes: number; purpose?: CodePurpose }): Promise<void>;
  close(): void;
}

/** Where development mode shows a code to the person running the server: their terminal. */
const toTerminal = (line: string) => void process.stdout.write(`${line}\n`);

/**
 * Over SMTP with nodemailer when KEYMINT_SMTP_URL is set. Without it (development), the code is
 * written to the server log at warn level and as a plain line on the terminal, where a person
 * sees it among the JSON log lines without grepping: the one place a sign-in code is ever
 * written, so a developer can sign in without a mail server (docs/end-users.md says so). Never
 * enable this fallback where real users sign in: set KEYMINT_SMTP_URL.
 */
export function createCodeMailer(config: Config, log: Logger): CodeMailer {
  if (!config.smtp) {
    return {
      async sendCode(to, code, { minutes, purpose = 'sign-in' }) {
        log.warn({ email: to, code, purpose, expires_in_minutes: minutes }, 'development mode (no KEYMINT_SMTP_URL): sign-in code written to the log instead of mailed');
        // The address is the caller's text: no control character reaches the terminal.
        toTerminal(`\n  >>> ${WORDING[purpose].subject} for ${to.replace(/[\x00-\x1f\x7f]/g, '?')}: ${code}  (expires in ${minutes} min; development mode: set KEYMINT_SMTP_URL to mail it)\n`);
      },
      close() {},
    };
  }
  const { url, from } = config.smtp;
  const transport: Transporter = nodemailer.createTransport(url);
  return {
    async sendCode(to, code, { tenantName, minutes, purpose = 'sign-in' }) {
      const wording = WORDING[purpose];
      await transport.sendMail({
        from,
        to,
        subject: `Your ${tenantName} ${wording.subject}: ${code}`,
        text: `${wording.line} ${code}\n\nIt expires in ${minutes} minutes and works once. If you did not ask for it, ignore this mail.\n`,
      });
    },
    close: () => transport.close(),
  };
}
