"""Inspection photos as legal evidence.

- `images`: check uploaded bytes (type from content, size and pixel limits, a decode to the last
  byte at reduced scale, a bounded number of decodes at once),
  read the camera's EXIF time and place, make EXIF-free thumbnails, neutralise file names.
- `store`: a content-addressed file store (local folder now, S3-compatible later) that keeps
  the original bytes unchanged, plus the consistency checks behind `ecogrid uploads check`.
- `evidence`: flags for photos taken far from the site or outside the visit.

Nothing here touches the database; the service layer ties stored keys to rows.
"""
