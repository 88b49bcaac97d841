/**
 * Custom search attributes kept current by the bank-connection workflow, so that ops can find
 * stuck connections in Temporal Web (e.g. `ConnectionState = "wrongpass"`). Registered on the
 * namespace by the dev-server launcher, the docker-compose set-up and the tests.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ConnectionState = defineSearchAttributeKey('ConnectionState', SearchAttributeType.KEYWORD);
export const CompanySiren = defineSearchAttributeKey('CompanySiren', SearchAttributeType.KEYWORD);
export const PortalAccountId = defineSearchAttributeKey('PortalAccountId', SearchAttributeType.KEYWORD);
export const NextCollectionAt = defineSearchAttributeKey('NextCollectionAt', SearchAttributeType.DATETIME);
export const ConsecutiveErrors = defineSearchAttributeKey('ConsecutiveErrors', SearchAttributeType.INT);
/** First counted failure of the current error streak (absent when the connection is fine). */
export const ErrorSince = defineSearchAttributeKey('ErrorSince', SearchAttributeType.DATETIME);

export const SEARCH_ATTRIBUTE_KEYS = [
  ConnectionState,
  CompanySiren,
  PortalAccountId,
  NextCollectionAt,
  ConsecutiveErrors,
  ErrorSince,
];

/** `Name=Type` as the Temporal CLI's `--search-attribute` flag and `temporal operator` expect. */
export const SEARCH_ATTRIBUTE_FLAGS = SEARCH_ATTRIBUTE_KEYS.map(
  (k) => `${k.name}=${({ KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int' } as Record<string, string>)[k.type]}`,
);
