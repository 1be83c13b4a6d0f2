# Reference solution, run as root in the box: what the learner changes over `labctl ssh`, as learner.
set -eu
sudo -u learner -H sed -i 's/sudo systemctl restart app/sudo systemctl reload app/' /srv/git/app.git/hooks/post-receive
