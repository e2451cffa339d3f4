"""DUO Verzuimloket: absence reports, the municipalities behind the counter."""
