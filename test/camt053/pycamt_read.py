"""Reads camt.053 files with pycamt (an independent reader from PyPI) and prints what it sees as JSON.

Usage: python pycamt_read.py FILE...   (one JSON document per file, one per line)
"""
import json
import sys

from pycamt.parser import Camt053Parser

for path in sys.argv[1:]:
    parser = Camt053Parser.from_file(path)
    print(
        json.dumps(
            {
                "version": parser.version,
                "header": parser.get_group_header(),
                "statements": parser.get_statement_info(),
                "transactions": parser.get_transactions(),
            },
            ensure_ascii=True,
        )
    )
