/** What every route of the sandbox's API shares: Powens' error body, query flags, the authenticated request. */
import type { Request, Response } from 'express';

let requestCounter = 0;

export function sendError(
  res: Response,
  status: number,
  code: string,
  description: string,
  message: string | null = null,
): void {
  res.status(status).json({ code, description, message, request_id: `sbx-${++requestCounter}` });
}

export const flag = (v: unknown): boolean => v !== undefined && v !== 'false' && v !== '0' && v !== false;
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface Authed extends Request {
  userId?: number;
  token?: string;
}
