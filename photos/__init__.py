"""The picture desk: an image library with alt text, caption, credit and focal point, and its
renditions. Depends on ``articles``; ``articles`` never imports it."""
