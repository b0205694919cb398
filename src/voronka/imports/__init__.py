"""Import of leads, deals, contacts and companies from CSV and XLSX files, and export of lists."""
