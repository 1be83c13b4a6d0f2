# Near miss: the app runs as learner (a person's account, uid 1000), who can read the environment file too.
set -eu
chown learner /etc/hello-app.env
cat > /etc/systemd/system/hello-app.service <<'UNIT'
[Service]
User=learner
EnvironmentFile=/etc/hello-app.env
ExecStart=/usr/bin/python3 /srv/hello-app/app.py
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now hello-app
