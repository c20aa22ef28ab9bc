"""Money: cash accounts and failure (``module``), the cash arithmetic (``cash``), relief measures
(``relief``) and bank loans (``loans``)."""
