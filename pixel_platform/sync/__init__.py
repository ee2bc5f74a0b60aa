"""GDrive -> bucket sync with Debian's rclone, and the "sync finished" marker the sensor watches."""
