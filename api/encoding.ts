/**
 * Text of an uploaded file in UTF-8 or Windows-1252, detected while streaming: bytes are decoded as
 * UTF-8 until an invalid sequence appears; if everything before it was ASCII (identical in both
 * encodings) decoding switches to Windows-1252 from the start of that chunk, else the file mixes
 * encodings and is refused.
 */
import iconv from 'iconv-lite';
import { HttpError } from './errors';

export function decodeUtf8OrWindows1252(source: AsyncIterable<Buffer>) {
  let encoding: 'utf-8' | 'windows-1252' = 'utf-8';
  async function* text(): AsyncGenerator<string> {
    let utf8 = new TextDecoder('utf-8', { fatal: true });
    let asciiSoFar = true;
    for await (const chunk of source) {
      if (encoding === 'utf-8') {
        try {
          const s = utf8.decode(chunk, { stream: true });
          if (asciiSoFar && chunk.some((b) => b >= 0x80)) asciiSoFar = false;
          yield s;
          continue;
        } catch {
          if (!asciiSoFar)
            throw new HttpError(
              422,
              'Unprocessable Content',
              'Encodage illisible : le fichier mélange UTF-8 et un autre encodage.',
            );
          encoding = 'windows-1252';
          utf8 = new TextDecoder('utf-8');
        }
      }
      yield iconv.decode(chunk, 'win1252');
    }
    if (encoding === 'utf-8') {
      try {
        const rest = utf8.decode();
        if (rest) yield rest;
      } catch {
        throw new HttpError(
          422,
          'Unprocessable Content',
          'Encodage illisible : le fichier se termine au milieu d’un caractère UTF-8.',
        );
      }
    }
  }
  return { text, encoding: () => encoding };
}
