"""Source rewrites: hand-written tables → BLL model source, and legacy imports → generated classes."""
