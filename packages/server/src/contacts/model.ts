export type ContactStatus = 'subscribed' | 'unsubscribed';

export interface ContactFilter {
  email?: string | undefined;
  status?: ContactStatus | undefined;
  /** Free text matched (case-insensitively) inside name and email. */
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface NewContact {
  email: string;
  name?: string | undefined;
  phone?: string | undefined;
  tags?: string[] | undefined;
}

export interface ContactChanges {
  email?: string | undefined;
  name?: string | null | undefined;
  phone?: string | null | undefined;
  tags?: string[] | undefined;
}

export const CONTACT_PAGE = { defaultLimit: 20, maxLimit: 100 } as const;
