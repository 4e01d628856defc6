"""Probability alive and customer value (pure): the BG/NBD model of repeat purchases (Fader, Hardie &
Lee 2005) and the Gamma-Gamma model of spend per transaction (Fader & Hardie 2013), scored in closed
form with the standard library only. Only `fitting` (the maximum-likelihood fits) imports scipy and
numpy, and only the stats step imports it."""
