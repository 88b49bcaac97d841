/**
 * ISO 4217 active currency codes and their minor units (number of decimals), from the ISO 4217
 * list maintained by SIX (list one). Codes without decimals ("N.A." funds such as XAU) are left
 * out: they cannot be a bank account's currency.
 */
const ZERO = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const THREE = 'BHD IQD JOD KWD LYD OMR TND';
const FOUR = 'CLF UYW';
const TWO =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE ' +
  'CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL ' +
  'HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR ' +
  'MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK ' +
  'SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UZS VED VES WST XCD XCG ' +
  'YER ZAR ZMW ZWG';

const table = new Map<string, number>();
for (const [codes, units] of [
  [ZERO, 0],
  [TWO, 2],
  [THREE, 3],
  [FOUR, 4],
] as const)
  for (const code of codes.split(' ')) table.set(code, units);

/** Minor units of an ISO 4217 code, or undefined when the code is unknown. */
export function minorUnits(currency: string): number | undefined {
  return table.get(currency);
}

export const CURRENCY_CODES: readonly string[] = [...table.keys()].sort();
