"""Available periods published by trusts."""
